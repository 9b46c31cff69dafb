/**
 * `npm run bench -- sandbox`: the sandbox layer against its own cold path and Docker's exec, on
 * the same engine in one run.
 *   warm_acquire_ratio = p50 acquire from the warm set ÷ p50 cold acquire (create + attach + start + helper ready)
 *   exec_ratio         = p50 helper exec round trip ÷ p50 Docker API exec (create/start/inspect) of the same command
 *   fork8_ratio        = p50 fork of a prepared sandbox into 8 (from a warm set of 8) ÷ p50 cold acquire
 * Targets: <= 0.05, <= 0.33, <= 2.
 */
import { loadavg } from 'node:os';
import type { Duplex } from 'node:stream';
import { SandboxPool, type Sandbox } from '../sandboxes/index.ts';

const p50 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number): string => (x < 10 ? x.toFixed(3) : x.toFixed(1));

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

/** Docker's own exec path: create, start (attached, read to EOF), inspect for the exit code. */
async function dockerApiExec(sb: Sandbox, cmd: string[]): Promise<number> {
  const exec = await sb.container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, User: sb.spec.user, WorkingDir: sb.spec.workdir });
  const stream = (await exec.start({ hijack: true, stdin: false })) as unknown as Duplex;
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve).on('close', resolve).on('error', reject);
    stream.resume();
  });
  const info = await exec.inspect();
  return info.ExitCode ?? -1;
}

export default async function bench(argv: string[]): Promise<void> {
  const rounds = Number(argv[0] ?? 9);
  // Two pools on one engine: `coldPool` never keeps warm sandboxes, so its acquires are cold.
  const pool = new SandboxPool({ runId: `bench-sandbox-${process.pid}`, reapIntervalMs: 0 });
  const coldPool = new SandboxPool({ runId: `bench-sandbox-cold-${process.pid}`, reapIntervalMs: 0 });
  const spec = {};
  try {
    await pool.prewarm(spec, { count: 0 }); // image resolution outside the timings
    await coldPool.prewarm(spec, { count: 0 });
    await (await coldPool.acquire(spec)).destroy(); // the first start warms the engine's caches

    const cold: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const [ms, sb] = await timed(() => coldPool.acquire(spec));
      cold.push(ms);
      await sb.destroy();
    }

    const warm: number[] = [];
    for (let i = 0; i < rounds; i++) {
      await pool.prewarm(spec, { count: 1 });
      const [ms, sb] = await timed(() => pool.acquire(spec));
      warm.push(ms);
      await sb.destroy();
    }

    const sb = await pool.acquire(spec);
    const cmd = ['bash', '-c', 'echo ok'];
    const helperExec: number[] = [];
    const apiExec: number[] = [];
    for (let i = 0; i < 5; i++) await sb.exec(cmd); // warm-up both paths
    for (let i = 0; i < 3; i++) await dockerApiExec(sb, cmd);
    for (let i = 0; i < rounds * 3; i++) {
      const [a, r] = await timed(() => sb.exec(cmd));
      if (r.stdout !== 'ok\n') throw new Error(`helper exec returned ${JSON.stringify(r)}`);
      helperExec.push(a);
      const [b, code] = await timed(() => dockerApiExec(sb, cmd));
      if (code !== 0) throw new Error(`docker exec exited ${code}`);
      apiExec.push(b);
    }

    // A prepared task: a small repository written by the env before the group starts. Forks
    // alternate with cold acquires so both see the same load (the machine is shared).
    await sb.exec('mkdir -p repo && cd repo && for i in $(seq 1 50); do head -c 2000 /dev/urandom | base64 > f$i.txt; done && git init -q . && git add . && git -c user.email=b@b -c user.name=b commit -qm init');
    const forks: number[] = [];
    for (let i = 0; i < 5; i++) {
      await pool.prewarm(spec, { count: 8 });
      const [ms, copies] = await timed(() => pool.fork(sb, 8));
      forks.push(ms);
      const check = await copies[7]!.exec('cd repo && git status --porcelain | wc -l && ls | wc -l');
      if (check.stdout !== '0\n50\n') throw new Error(`fork copy differs from the prepared sandbox: ${check.stdout}`);
      await Promise.all(copies.map((c) => c.destroy()));
      await pool.prewarm(spec, { count: 8 }); // let the background refill finish first
      const [coldMs, one] = await timed(() => coldPool.acquire(spec));
      cold.push(coldMs);
      await one.destroy();
    }
    const fork8 = p50(forks);
    await sb.destroy();

    const coldP50 = p50(cold);
    console.log(
      `sandbox: cold_acquire_p50_ms=${fmt(coldP50)} warm_acquire_p50_ms=${fmt(p50(warm))} helper_exec_p50_ms=${fmt(p50(helperExec))} ` +
        `docker_exec_p50_ms=${fmt(p50(apiExec))} fork8_ms=${fmt(fork8)} (runs ${forks.map(fmt).join('/')}) rounds=${rounds} load1=${loadavg()[0]!.toFixed(1)}`,
    );
    console.log(
      `bench sandbox: warm_acquire_ratio=${(p50(warm) / coldP50).toFixed(4)} exec_ratio=${(p50(helperExec) / p50(apiExec)).toFixed(4)} fork8_ratio=${(fork8 / coldP50).toFixed(4)}`,
    );
  } finally {
    await Promise.all([pool.close(), coldPool.close()]);
  }
}
