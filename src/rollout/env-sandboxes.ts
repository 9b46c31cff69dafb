/**
 * Sandboxes for an env that declares them (`sandbox`, or `sandboxFor(task)` per task): a Docker
 * pool (loaded only then) that leases one sandbox per episode. An env with `setupSandbox` has
 * each group's task prepared once, on one sandbox, and its episodes start from forks of it
 * (`forGroup`), so the G samples of a task begin in one state. Returns undefined for envs
 * without sandboxes, so callers write `sandboxes: await envSandboxes(env)` and close it when the
 * run ends (`openEnvRun` does both).
 */
import { asAgents } from '../env/agents.ts';
import type { AnyEnv } from '../env/load-env.ts';
import { usesSandboxes, type SandboxLease, type SandboxLeases } from '../env/sandbox-lease.ts';
import type { Sandbox, SandboxPool, SandboxPoolOptions, SandboxSpec } from '../../sandboxes/index.ts';

export interface EnvSandboxes extends SandboxLeases<Sandbox>, AsyncDisposable {
  /** The pool behind the leases (stats, prewarm). */
  pool: SandboxPool;
  /** Stops the pool: removes every sandbox it made. */
  close(): Promise<void>;
}

export async function envSandboxes(env: AnyEnv, options: SandboxPoolOptions = {}): Promise<EnvSandboxes | undefined> {
  if (!usesSandboxes(env)) return undefined;
  const program = asAgents(env);
  // Docker's client is loaded only for envs that need it.
  const { SandboxPool, parseSandboxSpec } = await import('../../sandboxes/index.ts');
  const pool = new SandboxPool(options);
  const acquire = (task: unknown, signal: AbortSignal): Promise<Sandbox> =>
    pool.acquire(parseSandboxSpec(program.sandboxFor(task) as SandboxSpec), { signal });
  // Each lease can open verification rooms: fresh sandboxes of the task with only the agent's changes.
  const lent = (sandbox: Sandbox): SandboxLease<Sandbox> => ({
    sandbox,
    release: () => sandbox[Symbol.asyncDispose](),
    verificationRoom: async (signal) => {
      const room = await pool.verificationRoom(sandbox, { signal });
      return { sandbox: room, release: () => room.destroy() };
    },
  });

  /** A sandbox prepared for `task`; destroyed when the preparation fails. */
  const prepared = async (task: unknown, signal: AbortSignal): Promise<Sandbox> => {
    const sandbox = await acquire(task, signal);
    try {
      await program.setupSandbox?.(task, sandbox, signal);
      return sandbox;
    } catch (error) {
      await sandbox.destroy();
      throw error;
    }
  };

  const sandboxes: EnvSandboxes = {
    pool,
    lease: async (signal, task) => lent(await prepared(task, signal)),
    forGroup: (count) => {
      if (!program.setupSandbox || count < 2) return { lease: sandboxes.lease, close: async () => undefined };
      // The first lease prepares the task once and forks it into `count` copies; the prepared
      // original is removed (it may hold processes its copies do not).
      let copies: Promise<Sandbox[]> | undefined;
      const prepareAndFork = async (task: unknown, signal: AbortSignal): Promise<Sandbox[]> => {
        const original = await prepared(task, signal);
        try {
          return await pool.fork(original, count, { signal });
        } finally {
          await original.destroy();
        }
      };
      return {
        lease: async (signal, task) => {
          copies ??= prepareAndFork(task, signal);
          const copy = (await copies).shift();
          // More episodes than copies (a retried slot): a freshly prepared sandbox.
          return lent(copy ?? (await prepared(task, signal)));
        },
        close: async () => {
          const left = await copies?.catch(() => []);
          await Promise.all((left ?? []).splice(0).map((sandbox) => sandbox.destroy()));
        },
      };
    },
    close: () => pool.close(),
    [Symbol.asyncDispose]: () => pool.close(),
  };
  return sandboxes;
}
