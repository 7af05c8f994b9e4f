import type { BuildOptions } from 'esbuild';
export declare const ROOT: string;
export declare const WORKER_ENTRIES: Record<string, string>;
export declare const BUILD_OPTIONS: BuildOptions;
