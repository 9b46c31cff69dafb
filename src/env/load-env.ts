/**
 * Loads an env from a module: `envs/<name>`, a bare `<name>` (looked up under envs/), or any
 * module path. The module's default export (or its `env` export) is an Env/MultiAgentEnv instance,
 * a class with a no-argument constructor, or a function returning one.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidInputError } from '../protocol/errors.ts';
import type { MultiAgentEnv } from './agents.ts';
import { EnvBase, type Env } from './env.ts';

export type AnyEnv = Env<any, any, any> | MultiAgentEnv<any, any, any>;

function isEnv(value: unknown): value is AnyEnv {
  if (value instanceof EnvBase) return true;
  // A second copy of physarum (another install) defines other classes: check the shape instead.
  const v = value as Partial<Record<string, unknown>> | null;
  return !!v && typeof v === 'object' && typeof v.reset === 'function' && typeof v.step === 'function' && !!v.taskSchema && !!v.rubric;
}

/** The file a spec names, or undefined when nothing exists there. */
export function resolveEnvModule(spec: string, cwd = process.cwd()): string | undefined {
  const candidates = [spec, path.join('envs', spec)].flatMap((p) => {
    const full = path.resolve(cwd, p);
    return [full, `${full}.ts`, `${full}.js`, path.join(full, 'index.ts'), path.join(full, 'index.js')];
  });
  return candidates.find((file) => existsSync(file) && statSync(file).isFile());
}

export async function loadEnv(spec: string, options: { cwd?: string } = {}): Promise<AnyEnv> {
  const file = resolveEnvModule(spec, options.cwd);
  if (!file) throw new InvalidInputError(`--env '${spec}': no such module (tried '${spec}' and 'envs/${spec}', with .ts/.js and /index.ts)`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new InvalidInputError(`--env '${spec}': cannot load ${file}: ${(error as Error).message}`, { cause: error });
  }
  for (const key of ['default', 'env']) {
    let value = module[key];
    if (typeof value === 'function') {
      const candidate = value as (new () => unknown) & (() => unknown);
      // Classes must be constructed; plain factories are called.
      value = /^class[\s{]/.test(Function.prototype.toString.call(candidate)) ? new candidate() : await candidate();
    }
    if (isEnv(value)) return value;
  }
  throw new InvalidInputError(`--env '${spec}': ${file} has no Env as its default export (export default new MyEnv())`);
}
