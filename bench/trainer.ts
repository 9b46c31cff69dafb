/**
 * `npm run bench -- trainer`: train_step through the worker RPC against the same model, batch and
 * loss in a plain in-process PyTorch loop (bench/trainer_baseline.py), side by side in one run.
 *
 * worker_ratio: tokens/s of train_step through the RPC (frame from the Data Buffer's encoder, HTTP,
 *   decode, packed forward/backward, optimizer) over tokens/s of the plain loop; rounds alternate
 *   the two sides (each idle while the other runs), median of per-round ratios. Target >= 0.85.
 * rpc_ms: client-side latency of a step minus the worker's own step time (HTTP + JSON), median.
 * decode_ms: the worker's frame decode time, median. packing_efficiency: tokens / (micro-batches x
 *   maxTokensPerGpu) of the frame.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { buildTrainerBatch } from '../src/buffer/pack.ts';
import { encodeTrainerBatch } from '../src/buffer/wire.ts';
import { startTrainerWorker } from '../src/driver/worker-process.ts';
import { Sample, type SampleInput } from '../src/protocol/sample.ts';

const MAX_TOKENS = 2048;
const SAMPLES = 16;
const ROUNDS = 7;
const STEPS = 3;
const LR = 1e-4;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function makeSamples(): SampleInput[] {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: SAMPLES }, (_, index) => {
    // 16 samples of 124-127 tokens: one 2k-token micro-batch, as the issue asks.
    const prompt = 56 + (index % 4);
    const response = 68 + (index % 3);
    const tokens = Array.from({ length: prompt + response }, () => Math.floor(rand() * 256));
    return {
      schemaVersion: 1, index, groupIndex: index >> 1, rolloutId: `b${index}`, prompt: 'p', tokens, responseLength: response, response: 'r',
      lossMask: Array.from({ length: response }, () => 1 as const), rolloutLogProbs: Array.from({ length: response }, () => Math.fround(-5.5 - rand())),
      reward: index % 2, status: 'completed', weightVersions: ['0'],
      spans: [{ kind: 'prompt', start: 0, end: prompt, turn: 0 }, { kind: 'sampled', start: prompt, end: prompt + response, turn: 0 }], turns: 1,
    };
  });
}

export default async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'physarum-bench-trainer-'));
  const samples = makeSamples().map((s) => Sample.parse(s));
  const advantages = samples.map((s) => (s.reward! > 0 ? 1 : -1));
  const batch = buildTrainerBatch(samples.map((sample, i) => ({ sample, advantage: advantages[i]! })), { maxTokensPerGpu: MAX_TOKENS, dpSize: 1 });
  const frame = encodeTrainerBatch(batch);
  const tokens = samples.reduce((n, s) => n + s.tokens.length, 0);
  const microBatches = batch.ranks.flat().length;
  const packing = tokens / (microBatches * MAX_TOKENS);

  const worker = await startTrainerWorker({ stderr: 'ignore' });
  const env = { ...process.env, PYTHONPATH: path.resolve(import.meta.dirname, '..', 'trainer') };
  const python = path.resolve(import.meta.dirname, '..', '.venv', 'bin', 'python');
  const baseline = spawn(python, [path.join(import.meta.dirname, 'trainer_baseline.py')], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: baseline.stdout })[Symbol.asyncIterator]();
  const ask = async (cmd: string) => {
    baseline.stdin.write(`${cmd}\n`);
    const { value } = await lines.next();
    return JSON.parse(value as string) as { seconds: number; tokens: number; loss: number };
  };
  try {
    await worker.client.init({ backend: 'torch_hf', model: { tiny: { layers: 2, hidden: 64, seed: 1 } }, device: 'cpu', seed: 0, optimizer: { lr: LR, clipGrad: 1 } });
    const exported = await worker.client.exportWeights({ format: 'hf', dir, version: 0 });
    const plain = samples.map((s, i) => ({ tokens: s.tokens, prompt: s.tokens.length - s.responseLength, response: s.responseLength, mask: s.lossMask, logprobs: s.rolloutLogProbs, advantage: advantages[i] }));
    writeFileSync(path.join(dir, 'samples.json'), JSON.stringify(plain));
    await ask(`init ${exported.path} ${path.join(dir, 'samples.json')} ${LR}`);
    // Warm up both sides (first-call allocations, lazy imports).
    await worker.client.trainStep(frame, { step: 0 });
    await ask('steps 1');

    const ratios: number[] = [];
    const rpc: number[] = [];
    const decode: number[] = [];
    let step = 1;
    for (let round = 0; round < ROUNDS; round++) {
      let workerSeconds = 0;
      for (let k = 0; k < STEPS; k++) {
        const t0 = performance.now();
        const result = await worker.client.trainStep(frame, { step: step++ });
        const wall = (performance.now() - t0) / 1000;
        workerSeconds += wall;
        rpc.push((wall - result.metrics.step_s) * 1000);
        decode.push(result.metrics.frame_decode_s * 1000);
      }
      const base = await ask(`steps ${STEPS}`);
      ratios.push((tokens * STEPS) / workerSeconds / (base.tokens / base.seconds));
    }
    console.log(`tokens per batch ${tokens} in ${microBatches} micro-batch(es); per-round ratios ${ratios.map((r) => r.toFixed(3)).join(' ')}`);
    console.log(
      `bench trainer: worker_ratio=${median(ratios).toFixed(3)} rpc_ms=${median(rpc).toFixed(2)} decode_ms=${median(decode).toFixed(3)} packing_efficiency=${packing.toFixed(3)}`,
    );
  } finally {
    baseline.stdin.end('quit\n');
    await worker.stop();
  }
}
