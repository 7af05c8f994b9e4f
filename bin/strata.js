#!/usr/bin/env node
// The `strata` command: loads the TypeScript CLI through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../api/cli.ts');
await main(process.argv.slice(2));
