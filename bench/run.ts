// `npm run bench -- <name> [args]`: one entry per benchmark suite, each a module with `main(args)`.
const suites: Record<string, () => Promise<{ main(args: string[]): Promise<void> }>> = {
  engine: () => import('./engine.ts'),
  api: () => import('./api.ts'),
  ml: () => import('./ml.ts'),
  'ml-quality': () => import('./ml-quality.ts'),
  sharing: () => import('./sharing.ts'),
  tpch: () => import('./tpch.ts'),
  spread: () => import('./spread.ts'),
  cli: () => import('./cli.ts'),
  pgwire: () => import('./pgwire.ts'),
  int64: () => import('./int64.ts'),
};

const [name, ...args] = process.argv.slice(2);
const load = name ? suites[name] : undefined;
if (!load) {
  console.error(`usage: npm run bench -- <${Object.keys(suites).join('|')}> [options]`);
  process.exit(2);
}
await (await load()).main(args);
