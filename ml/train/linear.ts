// LINEAR_LEARNER: linear regression and logistic/softmax regression with L2, trained on TensorFlow.js.
import type { Backend } from './backend.ts';
import { type NetModel, forward, trainNet } from './net.ts';
import { netConfig } from './netparams.ts';

export const linear: Backend<NetModel> = {
  modelType: 'LINEAR_LEARNER',
  defaults: () => ({ learning_rate: '0.02', wd: 'auto', mini_batch_size: 'auto', epochs: 'auto', early_stopping_patience: '10' }),
  fit: (data, params, ctx, iterations) => trainNet(data, netConfig(params, data.rows, [], 1500), ctx, iterations),
  predict: (m, x, rows) => forward(m, x, rows),
};
