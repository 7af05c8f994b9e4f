// TensorFlow.js on the WebAssembly backend, initialised once per thread (tfjs-node cannot install here).
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

let ready: Promise<typeof tf> | null = null;

/** Returns tfjs with the wasm backend active (single-threaded, so results are reproducible). */
export function tfReady(): Promise<typeof tf> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist/');
    setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) throw new Error('the TensorFlow.js wasm backend failed to start');
    await tf.ready();
    return tf;
  })();
  return ready;
}
