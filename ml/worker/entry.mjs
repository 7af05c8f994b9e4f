// Worker entry: loads TypeScript through tsx, then the training worker module.
import { register } from 'tsx/esm/api';

register();
await import('./train_worker.ts');
