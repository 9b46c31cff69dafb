/**
 * bench train: what the async loop buys and what the driver costs, side by side in one run.
 *
 * The rollout runs on the scripted SGLang server with a fixed per-turn latency (engines on other
 * machines, as on a cluster) chosen so that a rollout takes about as long as a train step on the
 * real torch_hf worker (measured first); then the same recipe, seed and steps run sync and async.
 * The server is its own process, reached as an `external` engine, as SGLang is: its work is not
 * done on the driver's event loop. Ideal async_speedup is 2.0. step_overhead is the driver's share
 * of a sync step spent outside rollout and train (take, pack, export, weight sync, bookkeeping).
 *
 *   npx tsx bench/run.ts train [--steps 6] [--latency-ms <fixed instead of calibrated>]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { parseRecipe } from '../src/driver/recipe-load.ts';
import { runRecipe } from '../src/driver/run.ts';
import { startWorker } from '../src/driver/start-worker.ts';

const root = path.resolve(import.meta.dirname, '..');

/** The scripted server as its own process (src/engine/scripted/main.ts), like an SGLang engine. */
async function startServer(script: string, latencyMs: number, tokenizer: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/engine/scripted/main.ts'), '--script', script, '--latency-ms', String(latencyMs), '--tokenizer', tokenizer], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for await (const line of createInterface({ input: child.stdout })) {
    const url = /on (http:\/\/\S+):/.exec(line)?.[1];
    if (url) return { url, stop: async () => void (child.kill('SIGTERM'), await exited) };
  }
  throw new Error('bench train: the scripted server exited before it was ready');
}

function recipe(runDir: string, mode: 'sync' | 'async', steps: number, url: string, model: string) {
  return parseRecipe({
    name: `bench-train-${mode}`,
    env: path.join(root, 'envs/addition'),
    data: { train: path.join(root, 'envs/addition/train.jsonl') },
    model: { path: model },
    engine: { kind: 'external', urls: [url] },
    trainer: { backend: 'torch_hf', device: 'cpu', optimizer: { lr: 1e-4 } },
    // Scripted replies make every group zero-std: keep them, so every step trains the same batch size.
    algorithm: { dropZeroStd: false, ...(mode === 'async' ? { maxStaleness: 1 } : {}) },
    rollout: { batchSize: 32, nSamplesPerPrompt: 8, sampling: { temperature: 1, max_new_tokens: 4 } },
    train: { mode, steps, saveEvery: 0, seed: 7, weightFormat: 'gguf' },
    runDir,
  });
}

async function run(mode: 'sync' | 'async', steps: number, latencyMs: number, script: string, model: string) {
  const runDir = mkdtempSync(path.join(tmpdir(), `bench-train-${mode}-`));
  const server = await startServer(script, latencyMs, model);
  try {
    await runRecipe({ recipe: recipe(runDir, mode, steps, server.url, model), startWorker, log: () => undefined });
  } finally {
    await server.stop();
  }
  const lines = readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  // Steady state: the first step pays start-up (first rollout, warm caches) on both sides.
  const steady = lines.slice(1);
  const mean = (key: string): number => steady.reduce((a, m) => a + (m[key] ?? 0), 0) / steady.length;
  return { step: mean('time/step'), rollout: mean('time/rollout'), train: mean('time/train'), export: mean('time/export'), sync: mean('time/sync') };
}

export default async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { steps: { type: 'string', default: '6' }, 'latency-ms': { type: 'string' } } });
  const steps = Number(values.steps);
  const work = mkdtempSync(path.join(tmpdir(), 'bench-train-'));
  const script = path.join(work, 'script.json');
  writeFileSync(script, JSON.stringify({ episodes: [{ task: '=', turns: ['7'] }] }));
  const { initTinyModel } = await import('../src/engine/embedded/tiny-model.ts');
  // A model whose train step outweighs the rollout's own client CPU (both share these cores; on a
  // cluster the engines are elsewhere), so the per-turn latency, not CPU, sets the rollout's length.
  const model = await initTinyModel({ out: path.join(work, 'model'), layers: 4, hidden: 256, tokenizer: 'bytes', seed: 0 });
  let latencyMs = values['latency-ms'] === undefined ? undefined : Number(values['latency-ms']);
  if (latencyMs === undefined) {
    // A step's rollout is several waves of requests (the episode budget bounds those in flight),
    // so it takes a multiple of the per-turn latency: measure that multiple, then pick the latency
    // that makes the rollout last as long as a train step.
    const base = await run('sync', 3, 0, script, model.dir);
    const probeMs = Math.max(50, Math.round(base.train * 1000));
    const probe = await run('sync', 3, probeMs, script, model.dir);
    const waves = Math.max(1, (probe.rollout - base.rollout) / (probeMs / 1000));
    latencyMs = Math.max(1, Math.round(((base.train - base.rollout) / waves) * 1000));
    console.log(`calibration: train ${base.train.toFixed(3)} s/step, rollout ${base.rollout.toFixed(3)} s at 0 ms and ${probe.rollout.toFixed(3)} s at ${probeMs} ms (${waves.toFixed(1)} waves) -> per-turn latency ${latencyMs} ms`);
  }
  const sync = await run('sync', steps, latencyMs, script, model.dir);
  console.log(`sync:  ${sync.step.toFixed(3)} s/step (rollout ${sync.rollout.toFixed(3)}, train ${sync.train.toFixed(3)}, export ${sync.export.toFixed(3)}, sync ${sync.sync.toFixed(3)})`);
  const async = await run('async', steps, latencyMs, script, model.dir);
  console.log(`async: ${async.step.toFixed(3)} s/step (rollout wait ${async.rollout.toFixed(3)}, train ${async.train.toFixed(3)}, export ${async.export.toFixed(3)}, sync ${async.sync.toFixed(3)})`);
  const overhead = (sync.step - sync.rollout - sync.train) / sync.step;
  console.log(
    `bench train: async_speedup=${(sync.step / async.step).toFixed(2)} step_overhead=${overhead.toFixed(3)} sync_s_per_step=${sync.step.toFixed(3)} ` +
      `async_s_per_step=${async.step.toFixed(3)} train_s=${sync.train.toFixed(3)} latency_ms=${latencyMs} steps=${steps}`,
  );
}
