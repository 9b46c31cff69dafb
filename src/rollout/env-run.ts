/**
 * One run of an env: its run-level `setup()` before the first episode, its sandboxes (see
 * `envSandboxes`), and `close()` — sandboxes first, then the env's own — when the run ends,
 * failed or not. `physarum rollout`, `physarum demo` and a training driver open a run here, so
 * an env that owns resources (a pool, a corpus index) gets them once and gives them back.
 *
 *   await using run = await openEnvRun(env);
 *   ...envGroupGenerate({ env, sandboxes: run.sandboxes, ... })
 */
import { asAgents } from '../env/agents.ts';
import type { AnyEnv } from '../env/load-env.ts';
import type { SandboxPoolOptions } from '../../sandboxes/index.ts';
import { envSandboxes, type EnvSandboxes } from './env-sandboxes.ts';

export interface EnvRun extends AsyncDisposable {
  /** Leases for the episodes, when the env uses sandboxes. */
  sandboxes: EnvSandboxes | undefined;
  /** Ends the run: closes the sandbox pool, then calls the env's `close()`. Idempotent. */
  close(): Promise<void>;
}

export async function openEnvRun(env: AnyEnv, options: { signal?: AbortSignal; sandboxPool?: SandboxPoolOptions } = {}): Promise<EnvRun> {
  const program = asAgents(env);
  const signal = options.signal ?? new AbortController().signal;
  let sandboxes: EnvSandboxes | undefined;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      try {
        await sandboxes?.close();
      } finally {
        await program.close();
      }
    })());
  try {
    await program.setup(signal);
    sandboxes = await envSandboxes(env, options.sandboxPool);
  } catch (error) {
    // A setup that failed halfway still gets its close, as Gymnasium's close is always safe.
    await close().catch(() => undefined);
    throw error;
  }
  return { sandboxes, close, [Symbol.asyncDispose]: close };
}
