// The docs stay true where a machine can check them: the repo is self-contained (no file points
// outside it, to a sibling `shared` folder), every relative link in the README and docs/ leads
// to a file, and docs/graphql.md names every root field of the live GraphQL schema.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildSchema, loadModules } from '../api/graphql/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'strata-data', 'coverage']);
const TEXT = /\.(ts|mjs|js|json|md|slt|sql|sh|py|yml|yaml)$/;

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name) || name.startsWith('.dist-')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) files(p, out);
    else if (TEXT.test(name) && st.size < 2_000_000 && name !== 'package-lock.json') out.push(p);
  }
  return out;
}

describe('docs', () => {
  it('nothing in the repo refers to a sibling shared folder', () => {
    const outside = /\.\.\/shared\b|\/work\/shared\b|'\.\.', 'shared'/;
    const offenders = files(ROOT).filter((f) => f !== fileURLToPath(import.meta.url) && outside.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it('relative links in the README and docs/ lead to files that exist', () => {
    const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    const broken: string[] = [];
    for (const page of pages) {
      for (const [, target] of readFileSync(join(ROOT, page), 'utf8').matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        if (!existsSync(join(ROOT, dirname(page), target))) broken.push(`${page} -> ${target}`);
      }
    }
    expect(pages.length).toBeGreaterThanOrEqual(6);
    expect(broken).toEqual([]);
  });

  it('docs/graphql.md names every root field of the schema', async () => {
    const schema = buildSchema(await loadModules());
    const doc = readFileSync(join(ROOT, 'docs/graphql.md'), 'utf8');
    const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
    const fields = roots.flatMap((t) => Object.keys(t?.getFields() ?? {}));
    expect(fields.length).toBeGreaterThan(20);
    expect(fields.filter((f) => !new RegExp(`\`${f}[(\`]`).test(doc))).toEqual([]);
  });
});
