/**
 * `npm run bench -- <name>` runs bench/<name>.ts. A bench measures side by side in one run and
 * prints its figures last, as one line: `bench <name>: key=value ...`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';

const here = import.meta.dirname;
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''));

const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name>\navailable: ${available.join(', ') || '(none)'}`);
  process.exit(2);
}
const bench = (await import(path.join(here, `${name}.ts`))) as { default: (argv: string[]) => Promise<void> };
await bench.default(process.argv.slice(3));
