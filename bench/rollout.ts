/**
 * `npm run bench -- rollout`: what the rollout manager costs, side by side with the bare loop it
 * replaces, in one run.
 *
 * manager vs bare: the same per-sample generate hook (samples with 2048 tokens, ready at once so
 *   only bookkeeping is measured) driven (a) bare: groups of 8 with Promise.all, rewards set
 *   inline; (b) by RolloutManager.step: zod validation of every sample, reward hook under the
 *   verify budget, zero-std filter, failure accounting, sink. Reported as samples/s and the
 *   manager's added cost per sample (µs). Median of interleaved runs.
 * load: prompt rows/s from jsonl and from parquet (written by pyarrow when the venv has it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Sample, SAMPLE_SCHEMA_VERSION } from '../src/protocol/sample.ts';
import { checkRewardNonzeroStd } from '../src/rollout/filters.ts';
import type { SampleGenerateContext } from '../src/rollout/hooks.ts';
import { perSampleGenerate } from '../src/rollout/per-sample-generate.ts';
import { PromptSource } from '../src/rollout/prompt-source.ts';
import { RolloutManager } from '../src/rollout/rollout-manager.ts';

const N = 8;
const GROUPS = 256;
const BATCH = 64;
const PROMPT = 512;
const RESPONSE = 1536;
const ROUNDS = 5;
const ROWS = 50_000;

const promptTokens = Array.from({ length: PROMPT }, (_, i) => (i * 31) % 151_000);
const responseTokens = Array.from({ length: RESPONSE }, (_, i) => (i * 7919) % 151_000);
const lossMask = responseTokens.map((_, i) => (i % 50 < 45 ? 1 : 0)) as Array<0 | 1>;
const logProbs = lossMask.map((m) => (m ? -0.25 : 0));

function makeSample(ctx: Pick<SampleGenerateContext, 'index' | 'groupIndex' | 'rolloutId' | 'slot'>): Sample {
  // A fresh object each time, as a runner would produce; arrays shared to measure bookkeeping only.
  return {
    schemaVersion: SAMPLE_SCHEMA_VERSION,
    index: ctx.index,
    groupIndex: ctx.groupIndex,
    rolloutId: ctx.rolloutId,
    forkIndex: 0,
    agent: 'policy',
    prompt: 'p',
    tokens: [...promptTokens, ...responseTokens],
    responseLength: RESPONSE,
    response: 'r',
    lossMask,
    rolloutLogProbs: logProbs,
    reward: null,
    rewards: {},
    status: 'completed',
    weightVersions: ['v0'],
    spans: [],
    turns: 1,
    metadata: {},
  };
}

const generate = async (ctx: SampleGenerateContext) => makeSample(ctx);
const reward = (sample: Sample) => sample.index % 2;

async function bare(): Promise<number> {
  const start = performance.now();
  let kept = 0;
  for (let g = 0; g < GROUPS; g++) {
    const samples = await Promise.all(
      Array.from({ length: N }, (_, slot) => {
        const index = g * N + slot;
        return generate({ index, groupIndex: g, rolloutId: `g${g}-s${slot}`, slot } as SampleGenerateContext);
      }),
    );
    for (const s of samples) s.reward = reward(s);
    kept += samples.length;
  }
  if (kept !== GROUPS * N) throw new Error('bare loop lost samples');
  return performance.now() - start;
}

async function managed(): Promise<number> {
  const records = Array.from({ length: GROUPS }, (_, i) => ({ id: `p${i}`, prompt: `prompt ${i}`, metadata: {} }));
  let kept = 0;
  const manager = new RolloutManager({
    source: new PromptSource(records, { numEpochs: 1 }),
    nSamplesPerPrompt: N,
    batchSize: BATCH,
    generate: perSampleGenerate(generate),
    rewardSample: reward,
    filters: [checkRewardNonzeroStd],
    onGroup: (group) => void (kept += group.samples.length),
  });
  const start = performance.now();
  for (let step = 0; step < GROUPS / BATCH; step++) await manager.step(step);
  if (kept !== GROUPS * N) throw new Error(`manager accepted ${kept} samples, expected ${GROUPS * N}`);
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function loadRates(): Promise<{ jsonl: number; parquet: number | undefined }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'physarum-bench-rollout-'));
  try {
    const rows = Array.from({ length: ROWS }, (_, i) =>
      JSON.stringify({ input: [{ role: 'user', content: `Question ${i}: what is ${i} + ${i}?` }], label: String(2 * i), metadata: { id: i } }),
    );
    const jsonl = path.join(dir, 'rows.jsonl');
    writeFileSync(jsonl, rows.join('\n') + '\n');
    let start = performance.now();
    const fromJsonl = await PromptSource.fromFile(jsonl, { keys: { labelKey: 'label' } });
    const jsonlRate = fromJsonl.records.length / ((performance.now() - start) / 1000);
    const python = path.resolve('.venv/bin/python');
    if (!existsSync(python)) return { jsonl: jsonlRate, parquet: undefined };
    const parquet = path.join(dir, 'rows.parquet');
    execFileSync(python, ['-c', `import pyarrow.json as j, pyarrow.parquet as q; q.write_table(j.read_json(${JSON.stringify(jsonl)}), ${JSON.stringify(parquet)})`]);
    start = performance.now();
    const fromParquet = await PromptSource.fromFile(parquet, { keys: { labelKey: 'label' } });
    const parquetRate = fromParquet.records.length / ((performance.now() - start) / 1000);
    return { jsonl: jsonlRate, parquet: parquetRate };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function run(): Promise<void> {
  await bare();
  await managed();
  const bareTimes: number[] = [];
  const managerTimes: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    bareTimes.push(await bare());
    managerTimes.push(await managed());
  }
  const samples = GROUPS * N;
  const bareMs = median(bareTimes);
  const managerMs = median(managerTimes);
  const load = await loadRates();
  console.log(`${samples} samples of ${PROMPT + RESPONSE} tokens, groups of ${N}, steps of ${BATCH} groups; ${ROUNDS} interleaved rounds`);
  console.log(`bare: ${bareMs.toFixed(1)} ms, manager: ${managerMs.toFixed(1)} ms`);
  const fields = [
    `bare_samples_per_s=${Math.round(samples / (bareMs / 1000))}`,
    `manager_samples_per_s=${Math.round(samples / (managerMs / 1000))}`,
    `overhead_us_per_sample=${(((managerMs - bareMs) * 1000) / samples).toFixed(1)}`,
    `jsonl_rows_per_s=${Math.round(load.jsonl)}`,
    `parquet_rows_per_s=${load.parquet === undefined ? 'n/a' : Math.round(load.parquet)}`,
  ];
  console.log(`bench rollout: ${fields.join(' ')}`);
}
