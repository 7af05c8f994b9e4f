// Shared hyperparameter parsing for the network backends ('auto' values scale with the data).
import { SqlError } from '../../engine/errors.ts';
import { lookup, num } from './backend.ts';
import { type Activation, type NetConfig, epochsFor } from './net.ts';

/** Builds a NetConfig from HYPERPARAMETERS-style strings; `steps` sizes the automatic epoch count. */
export function netConfig(params: Record<string, string>, rows: number, hidden: number[], steps: number): NetConfig {
  const auto = (key: string, value: number) => (lookup(params, key) ?? 'auto') === 'auto' ? value : num(params, key, value);
  const batch = Math.max(1, Math.round(auto('mini_batch_size', rows <= 1024 ? rows : 256)));
  const act = (lookup(params, 'activation') ?? 'relu').toLowerCase();
  if (act !== 'relu' && act !== 'tanh') throw new SqlError('INVALID_PARAMETER', `hyperparameter ACTIVATION must be 'relu' or 'tanh', got '${act}'`);
  return {
    hidden,
    activation: act as Activation,
    learningRate: num(params, 'learning_rate', 0.01),
    batch,
    wd: auto('wd', 1 / rows),
    epochs: Math.max(1, Math.round(auto('epochs', epochsFor(rows, batch, steps)))),
    patience: Math.max(1, Math.round(num(params, 'early_stopping_patience', 10))),
  };
}

/** Parses HIDDEN_LAYERS like '64' or '128,64'. */
export function hiddenLayers(params: Record<string, string>, fallback: number[]): number[] {
  const raw = lookup(params, 'hidden_layers');
  if (raw === undefined) return fallback;
  const sizes = raw.split(/[,\s]+/).filter(Boolean).map(Number);
  if (!sizes.length || sizes.some((s) => !Number.isInteger(s) || s < 1 || s > 4096)) {
    throw new SqlError('INVALID_PARAMETER', `hyperparameter HIDDEN_LAYERS must be layer sizes like '64' or '128,64', got '${raw}'`);
  }
  return sizes;
}
