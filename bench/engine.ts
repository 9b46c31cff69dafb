/**
 * `npm run bench -- engine`: the embedded engine against raw node-llama-cpp, side by side.
 * - http_ratio: tokens/s through the HTTP server (4 concurrent /generate calls with logprobs)
 *   ÷ tokens/s of 4 sequences driven in-process with `sequence.evaluate` (same model, context
 *   settings and sampling: temperature 1, no top-k/top-p/min-p).
 * - reload_ratio: engine pause of a weight update, measured by a client as the RL loop runs it
 *   (pause_generation → update_weights_from_disk → continue_generation) ÷ the raw time to load
 *   the same GGUF and create its context in-process.
 * Runs alternate (A B A B ...) and the median of each side is reported.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { getLlama, LlamaLogLevel, type Token } from 'node-llama-cpp';
import { initTinyModel, startEmbeddedServer } from '../src/engine/embedded/index.ts';
import { defaultThreads } from '../src/engine/embedded/llama-runtime.ts';

const SEQUENCES = 4;
const CONTEXT = 1024;
const NEW_TOKENS = 200;
const ROUNDS = 7;
const PROMPT = [84, 104, 101, 32, 113, 117, 105, 99, 107, 32, 98, 114, 111, 119, 110];

async function benchModel(seed: number): Promise<string> {
  const dir = path.resolve(import.meta.dirname, '..', '.cache', 'bench-engine', `bytes-l4-h256-s${seed}`);
  if (!existsSync(path.join(dir, 'model.gguf'))) await initTinyModel({ out: dir, layers: 4, hidden: 256, tokenizer: 'bytes', seed, initStd: 0.1 });
  return path.join(dir, 'model.gguf');
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Sample {
  wallS: number;
  /** CPU seconds of this process (all threads): robust to other processes on a shared machine. */
  cpuS: number;
  tokens: number;
}

async function measure(run: () => Promise<number>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const tokens = await run();
  const used = process.cpuUsage(cpu);
  return { wallS: (performance.now() - start) / 1000, cpuS: (used.user + used.system) / 1e6, tokens };
}
const threads = defaultThreads();

interface InProcess {
  run(): Promise<Sample>;
  dispose(): Promise<void>;
}

/** The baseline: one context with the same settings, kept across rounds like the server's. */
async function inProcessRunner(modelPath: string): Promise<InProcess> {
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ sequences: SEQUENCES, contextSize: CONTEXT, threads: { ideal: threads, min: threads }, flashAttention: 'auto' });
  const sequences = Array.from({ length: SEQUENCES }, () => context.getSequence());
  return {
    async run() {
      await Promise.all(sequences.map((sequence) => sequence.clearHistory()));
      return measure(async () => {
      const counts = await Promise.all(sequences.map(async (sequence, i) => {
        let n = 0;
        for await (const _token of sequence.evaluate(PROMPT as Token[], { temperature: 1, topK: 0, topP: 1, minP: 0, seed: i + 1, yieldEogToken: true })) {
          if (++n >= NEW_TOKENS) break;
        }
        return n;
      }));
      return counts.reduce((a, b) => a + b, 0);
      });
    },
    async dispose() {
      await context.dispose();
      await model.dispose();
    },
  };
}

async function httpRun(url: string): Promise<Sample> {
  return measure(async () => {
  const counts = await Promise.all(Array.from({ length: SEQUENCES }, async (_, i) => {
    const res = await fetch(`${url}/generate`, {
      method: 'POST',
      body: JSON.stringify({ input_ids: PROMPT, return_logprob: true, sampling_params: { max_new_tokens: NEW_TOKENS, temperature: 1, ignore_eos: true, sampling_seed: i + 1 } }),
    });
    const body = (await res.json()) as { output_ids: number[] };
    return body.output_ids.length;
  }));
  return counts.reduce((a, b) => a + b, 0);
  });
}

async function rawLoadMs(modelPath: string): Promise<number> {
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const start = performance.now();
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ sequences: SEQUENCES, contextSize: CONTEXT, threads: { ideal: threads, min: threads }, experimentalKvCacheKeyType: 'F16', experimentalKvCacheValueType: 'F16', failedCreationRemedy: false });
  const ms = performance.now() - start;
  await context.dispose();
  await model.dispose();
  return ms;
}

async function bracketedUpdateMs(url: string, modelPath: string): Promise<number> {
  const post = (route: string, body: unknown) => fetch(`${url}${route}`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => {
    if (!r.ok) throw new Error(`${route}: HTTP ${r.status} ${await r.text()}`);
  });
  const start = performance.now();
  await post('/pause_generation', { mode: 'abort' });
  await post('/update_weights_from_disk', { model_path: modelPath });
  await post('/continue_generation', {});
  return performance.now() - start;
}

export default async function bench(): Promise<void> {
  process.setMaxListeners(64); // every llama.cpp model load adds a beforeExit listener
  const models = [await benchModel(1), await benchModel(2)];
  const server = await startEmbeddedServer({ modelPath: models[0]!, sequences: SEQUENCES, contextSize: CONTEXT });
  try {
    const baseline = await inProcessRunner(models[0]!);
    await httpRun(server.url); // warm-up: page cache, thread pools, compute buffers
    await baseline.run();
    // Paired rounds: each ratio compares runs made back to back, so load from other processes
    // on a shared machine hits both sides of a pair alike; the median ratio is reported.
    const http: number[] = [];
    const raw: number[] = [];
    const httpRatios: number[] = [];
    const cpuRatios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const first = round % 2 === 0;
      const a = first ? await baseline.run() : await httpRun(server.url);
      const b = first ? await httpRun(server.url) : await baseline.run();
      const [rawSample, httpSample] = first ? [a, b] : [b, a];
      raw.push(rawSample.tokens / rawSample.wallS);
      http.push(httpSample.tokens / httpSample.wallS);
      httpRatios.push(http.at(-1)! / raw.at(-1)!);
      cpuRatios.push(httpSample.tokens / httpSample.cpuS / (rawSample.tokens / rawSample.cpuS));
    }
    await baseline.dispose();
    const loads: number[] = [];
    const pauses: number[] = [];
    const swaps: number[] = [];
    const reloadRatios: number[] = [];
    for (let round = 0; round < 2 * ROUNDS; round++) {
      const next = models[(round + 1) % 2]!;
      // Raw loads right before and right after the update: their mean is the pair's denominator.
      const before = await rawLoadMs(next);
      pauses.push(await bracketedUpdateMs(server.url, next));
      const after = await rawLoadMs(next);
      loads.push((before + after) / 2);
      reloadRatios.push(pauses.at(-1)! / loads.at(-1)!);
      // The same update without the pause bracket: generation is held only for drain + swap.
      const timing = await server.engine.updateWeightsFromDisk(models[round % 2]!);
      swaps.push(timing.pauseMs);
    }
    const httpTps = median(http);
    const rawTps = median(raw);
    console.log(`http ${httpTps.toFixed(0)} tok/s vs in-process ${rawTps.toFixed(0)} tok/s (${SEQUENCES} sequences x ${NEW_TOKENS} tokens, ${threads} threads)`);
    console.log(`weight update: bracketed pause ${median(pauses).toFixed(1)} ms, raw load ${median(loads).toFixed(1)} ms, unbracketed swap pause ${median(swaps).toFixed(2)} ms`);
    console.log(
      `bench engine: http_ratio=${median(httpRatios).toFixed(3)} reload_ratio=${median(reloadRatios).toFixed(3)} ` +
        `http_cpu_ratio=${median(cpuRatios).toFixed(3)} http_tok_s=${httpTps.toFixed(0)} inproc_tok_s=${rawTps.toFixed(0)} pause_ms=${median(pauses).toFixed(1)} load_ms=${median(loads).toFixed(1)} swap_pause_ms=${median(swaps).toFixed(2)}`,
    );
  } finally {
    await server.close();
  }
}
