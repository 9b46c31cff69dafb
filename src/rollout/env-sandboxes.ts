/**
 * Sandboxes for an env that declares a `sandbox` spec: a Docker pool (loaded only then) that
 * leases one sandbox per episode. Returns undefined for envs without a spec, so callers write
 * `sandboxes: await envSandboxes(env)` and close it when the run ends.
 */
import { asAgents } from '../env/agents.ts';
import type { AnyEnv } from '../env/load-env.ts';
import type { SandboxLeases } from '../env/sandbox-lease.ts';
import type { SandboxPoolOptions } from '../../sandboxes/index.ts';

export interface EnvSandboxes extends SandboxLeases, AsyncDisposable {
  /** Stops the pool: removes every sandbox it made. */
  close(): Promise<void>;
}

export async function envSandboxes(env: AnyEnv, options: SandboxPoolOptions = {}): Promise<EnvSandboxes | undefined> {
  const spec = asAgents(env).sandbox;
  if (spec === undefined || spec === null) return undefined;
  // Docker's client is loaded only for envs that need it.
  const { SandboxPool, parseSandboxSpec } = await import('../../sandboxes/index.ts');
  const resolved = parseSandboxSpec(spec as Parameters<typeof parseSandboxSpec>[0]);
  const pool = new SandboxPool(options);
  return {
    lease: async (signal) => {
      const sandbox = await pool.acquire(resolved, { signal });
      return { sandbox, release: () => sandbox[Symbol.asyncDispose]() };
    },
    close: () => pool.close(),
    [Symbol.asyncDispose]: () => pool.close(),
  };
}
