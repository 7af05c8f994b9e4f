// MLP: a feed-forward network (ReLU hidden layers) trained with Adam on TensorFlow.js.
import type { Backend } from './backend.ts';
import { type NetModel, forward, trainNet } from './net.ts';
import { hiddenLayers, netConfig } from './netparams.ts';

export const mlp: Backend<NetModel> = {
  modelType: 'MLP',
  defaults: () => ({ hidden_layers: '64', activation: 'relu', learning_rate: '0.005', wd: '0.0001', mini_batch_size: 'auto', epochs: 'auto', early_stopping_patience: '10' }),
  fit: (data, params, ctx, iterations) => trainNet(data, netConfig(params, data.rows, hiddenLayers(params, [64]), 2000), ctx, iterations),
  predict: (m, x, rows) => forward(m, x, rows),
};
