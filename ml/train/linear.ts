// LINEAR_LEARNER: linear regression and logistic/softmax regression with L2. SOLVER 'sgd' (the
// default) trains on TensorFlow.js with early stopping; SOLVER 'exact' solves to convergence with
// a penalty tuned on the training rows (glm.ts).
import { SqlError } from '../../engine/errors.ts';
import { type Backend, lookup } from './backend.ts';
import { fitExact } from './glm.ts';
import { type NetModel, forward, trainNet } from './net.ts';
import { netConfig } from './netparams.ts';

export const linear: Backend<NetModel> = {
  modelType: 'LINEAR_LEARNER',
  defaults: () => ({ solver: 'sgd', learning_rate: '0.02', wd: 'auto', mini_batch_size: 'auto', epochs: 'auto', early_stopping_patience: '10' }),
  fit: async (data, params, ctx, iterations) => {
    const solver = (lookup(params, 'solver') ?? 'sgd').toLowerCase();
    if (solver === 'exact') {
      const wd = lookup(params, 'wd');
      return fitExact(data, ctx.task, ctx.seed, wd === undefined || wd.toLowerCase() === 'auto' ? undefined : netConfig(params, data.rows, [], 1).wd);
    }
    if (solver !== 'sgd') throw new SqlError('INVALID_PARAMETER', `hyperparameter SOLVER must be 'sgd' or 'exact', got '${solver}'`);
    return trainNet(data, netConfig(params, data.rows, [], 1500), ctx, iterations);
  },
  predict: (m, x, rows) => forward(m, x, rows),
  stopsEarly: (params) => (lookup(params, 'solver') ?? 'sgd').toLowerCase() !== 'exact',
};
