/**
 * `npx tsx bench/run.ts coding-env`: envs/coding's two costs, on one Docker daemon in one run, on
 * the first task of envs/coding/data/tasks.jsonl.
 *   verify_p50_s       = p50 seconds to verify one patch (the gold one): the agent's diff, a
 *                        verification room built at base_commit with the test patch, pytest
 *   group8_setup_ratio = seconds to prepare the 8 samples of one task the way a rollout does
 *                        (prepare one sandbox, fork it into 8 warm sandboxes) ÷ 8 cold setups
 *                        (8 × the p50 of one cold acquire + setupSandbox). Target <= 0.3.
 *   group8_cold_ratio  = the same with no warm sandboxes (the 8 copies are created cold too).
 * Fork rounds alternate with cold setups so both see the same load (the machine is shared).
 */
import { loadavg } from 'node:os';
import path from 'node:path';
import { envSandboxes, type EnvSandboxes } from '../src/rollout/env-sandboxes.ts';
import { parseSandboxSpec, type SandboxSpec } from '../sandboxes/index.ts';
import { readInstances } from '../envs/coding/dataset.ts';
import { CodingEnv } from '../envs/coding/index.ts';
import { verify } from '../envs/coding/verify.ts';

const p50 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number): string => (ms / 1000).toFixed(3);

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

export default async function bench(argv: string[]): Promise<void> {
  const rounds = Number(argv[0] ?? 5);
  const [task] = readInstances(path.join(import.meta.dirname, '..', 'envs', 'coding', 'data', 'tasks.jsonl'));
  if (!task) throw new Error('envs/coding/data/tasks.jsonl has no task');
  const env = new CodingEnv();
  const spec = parseSandboxSpec(env.sandboxFor(task) as SandboxSpec);
  const signal = AbortSignal.timeout(1_800_000);
  const open = async (name: string): Promise<EnvSandboxes> => (await envSandboxes(env, { runId: `bench-coding-${name}-${process.pid}`, reapIntervalMs: 0 }))!;
  const [warm, cold] = [await open('warm'), await open('cold')];
  try {
    await warm.pool.prewarm(spec, { count: 0 }); // image build and resolution outside the timings
    await cold.pool.prewarm(spec, { count: 0 });
    await (await cold.lease(signal, task)).release(); // the first start warms the engine's caches

    const verifies: number[] = [];
    const forks: number[] = [];
    const forksCold: number[] = [];
    const colds: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // One patch verified: the gold one, applied in a prepared sandbox as the agent would.
      const { sandbox, release } = await warm.lease(signal, task);
      await sandbox.exec(['git', 'apply', '-'], { stdin: task.patch, signal });
      await sandbox.finalize({ signal });
      const tree = await env.treeOf(task);
      const [ms, verdict] = await timed(() =>
        verify({ task, agent: sandbox, openRoom: () => warm.pool.verificationRoom(sandbox, { signal }), tree, options: env.options, signal }),
      );
      await release();
      if (!verdict.resolved) throw new Error(`the gold patch did not resolve: ${verdict.reason}`);
      verifies.push(ms);

      for (const [pool, into] of [[warm, forks], [cold, forksCold]] as const) {
        if (pool === warm) await warm.pool.prewarm(spec, { count: 9 });
        const group = pool.forGroup!(8);
        const [forkMs, leases] = await timed(() => Promise.all(Array.from({ length: 8 }, () => group.lease(signal, task))));
        into.push(forkMs);
        const head = await leases[7]!.sandbox.exec('git rev-parse HEAD', { signal });
        if (head.stdout.trim() !== task.base_commit) throw new Error(`a fork is not at base_commit: ${head.stdout}`);
        await Promise.all(leases.map((l) => l.release()));
        await group.close();
      }
      const [coldMs, one] = await timed(() => cold.lease(signal, task));
      colds.push(coldMs);
      await one.release();
    }
    const eightCold = 8 * p50(colds);
    console.log(
      `coding-env: verify_p50_s=${s(p50(verifies))} (runs ${verifies.map(s).join('/')}) cold_setup_p50_s=${s(p50(colds))} ` +
        `fork8_warm_p50_s=${s(p50(forks))} fork8_cold_p50_s=${s(p50(forksCold))} rounds=${rounds} task=${task.instance_id} load1=${loadavg()[0]!.toFixed(1)}`,
    );
    console.log(
      `bench coding-env: verify_p50_s=${s(p50(verifies))} group8_setup_ratio=${(p50(forks) / eightCold).toFixed(3)} ` +
        `group8_cold_ratio=${(p50(forksCold) / eightCold).toFixed(3)} cold_setup_s=${s(p50(colds))}`,
    );
  } finally {
    await Promise.all([warm.close(), cold.close()]);
  }
}
