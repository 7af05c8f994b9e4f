// Worker entry: registers the TypeScript loader in this thread, then starts the slice.
import { register } from 'tsx/esm/api';

register();
await import('./slice-worker.ts');
