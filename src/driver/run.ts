/**
 * `physarum train`: one recipe, end to end. The driver starts and supervises the trainer worker,
 * the engines and the Data Buffer; pushes the worker's weights to the engines once before the
 * first step (as slime does); restores worker, buffer cursor and rollout state on `resume`; runs
 * the RL loop (sync or async) or the SFT loop; exports the final weights (HF) to <runDir>/final.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DataBuffer } from '../buffer/data-buffer.ts';
import { loadChat, type Chat } from '../chat/chat-template.ts';
import { initTinyModel } from '../engine/embedded/tiny-model.ts';
import { asAgents, checkRoleNames } from '../env/agents.ts';
import { loadEnv, type AnyEnv } from '../env/load-env.ts';
import { InvalidInputError } from '../protocol/errors.ts';
import type { Sample } from '../protocol/sample.ts';
import { createBudgets } from '../rollout/budgets.ts';
import { abortWorkers } from '../rollout/engine-abort.ts';
import { envGroupGenerate } from '../rollout/env-group-generate.ts';
import { openEnvRun } from '../rollout/env-run.ts';
import type { EnvSandboxes } from '../rollout/env-sandboxes.ts';
import { readPromptRows } from '../rollout/prompt-rows.ts';
import type { DatasetKeys } from '../rollout/prompt-record.ts';
import { PromptSource } from '../rollout/prompt-source.ts';
import { RolloutManager } from '../rollout/rollout-manager.ts';
import { Checkpoints, RolloutCursor } from './checkpoints.ts';
import { openEngines, weightFormat, type OpenEngines } from './engines.ts';
import { evaluate, type EvalResult } from './evaluate.ts';
import { runLoop, type LoopResult } from './loop.ts';
import { weightPublisher } from './publish.ts';
import type { Recipe } from './recipe.ts';
import { openRoleEngines, type RoleEngines } from './role-engines.ts';
import { jsonlWriter, prepareRunDir, runPaths } from './run-dir.ts';
import { runSftLoop } from './sft-loop.ts';
import { parseConversation } from './sft-samples.ts';
import { startMetricsSink } from './metrics-sink.ts';
import { formatStepLine } from './step-metrics.ts';
import { TIMELINE_FILE, timelineWriter, type TimelineWriter } from './timeline.ts';
import { workerInitConfig, type TrainerPort } from './trainer-port.ts';

export interface WorkerHandle {
  client: TrainerPort;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | string | null }>;
  stop(): Promise<void>;
}

export type StartWorker = (options: { python?: string; nproc: number; signal?: AbortSignal }) => Promise<WorkerHandle>;

export interface RunOptions {
  recipe: Recipe;
  startWorker: StartWorker;
  resume?: boolean;
  fresh?: boolean;
  /** Stop at the next step boundary and save (first Ctrl-C). */
  stop?: AbortSignal;
  /** Abort at once (second Ctrl-C). */
  abort?: AbortSignal;
  log?: (line: string) => void;
  /** Each finished episode of the training rollout (progress lines). */
  onEpisode?: (samples: readonly Sample[]) => void;
  /** Each step's metrics line, once it is written. */
  onStep?: (line: Record<string, number | string>) => void;
}

export interface RunSummary extends LoopResult {
  runDir: string;
  firstEval?: EvalResult;
  lastEval?: EvalResult;
  seconds: number;
}

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/** The HF directory the worker loads: the recipe's, or a tiny model made (once) in the run directory. */
async function modelDir(recipe: Recipe, dir: string): Promise<string> {
  if (recipe.model.path) {
    if (!existsSync(path.join(recipe.model.path, 'config.json')) && existsSync(path.dirname(recipe.model.path)))
      throw new InvalidInputError(`model.path ${recipe.model.path} has no config.json (an HF checkpoint directory is needed)`);
    return recipe.model.path;
  }
  const tiny = recipe.model.tiny!;
  if (!existsSync(path.join(dir, 'config.json')))
    await initTinyModel({ out: dir, layers: tiny.layers, hidden: tiny.hidden, ...(tiny.heads ? { heads: tiny.heads } : {}), tokenizer: 'bytes', seed: tiny.seed });
  return dir;
}

export async function runRecipe(options: RunOptions): Promise<RunSummary> {
  const began = performance.now();
  const { recipe } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const paths = runPaths(recipe.runDir);
  prepareRunDir(paths, { resume: options.resume ?? false, fresh: options.fresh ?? false });
  const model = await modelDir(recipe, paths.model);
  const chat = await loadChat(recipe.model.tokenizer ?? model);
  const cleanups: Array<() => Promise<unknown>> = [];
  const crashed = new AbortController();
  const abort = AbortSignal.any([crashed.signal, ...(options.abort ? [options.abort] : [])]);
  try {
    const worker = await options.startWorker({ ...(recipe.trainer.python ? { python: recipe.trainer.python } : {}), nproc: recipe.trainer.nproc, signal: abort });
    let stopping = false;
    cleanups.push(async () => ((stopping = true), await worker.stop()));
    void worker.exited.then(({ code, signal }) => {
      if (!stopping) crashed.abort(new InvalidInputError(`the trainer worker exited (code ${code}, signal ${signal}) in the middle of the run`));
    });
    const trainer = worker.client;
    const info = await trainer.init(workerInitConfig(recipe, model));
    const threads = info.threads === undefined ? '' : `, ${String(info.threads)} torch thread${info.threads === 1 ? '' : 's'}`;
    log(`train: ${recipe.name}: worker ${String(info.backend)} on ${String(info.device)}, ${String(info.parameters)} parameters${threads}`);

    const checkpoints = new Checkpoints(paths.root);
    const resumed = options.resume ? await checkpoints.load(trainer) : undefined;
    if (resumed) log(`train: resumed from the checkpoint of step ${resumed.trainedStep + 1} (weights v${resumed.weightVersion})`);
    const weightVersion = resumed?.weightVersion ?? 0;
    const format = weightFormat(recipe);
    // The engines start on the worker's own weights: what the first rollout samples is what trains.
    const first = await trainer.exportWeights({ format, dir: paths.weights, version: weightVersion });
    const engines = await openEngines(recipe, { modelPath: recipe.engine.kind === 'embedded' ? first.path : model, initialVersion: weightVersion, tokenizer: chat.tokenizer, signal: abort });
    cleanups.push(() => engines.close());
    log(`train: engines: ${engines.description}`);
    const weights = weightPublisher({ trainer, weightSync: engines.weightSync, dir: paths.weights, format });
    // Engines started elsewhere begin on the base model: give them the worker's weights (slime pushes once before the loop).
    // The export above is that version (an export never overwrites one), so it is loaded, not made again.
    if (recipe.engine.kind === 'external' || recipe.engine.kind === 'fleet')
      await engines.weightSync.updateFromDisk({ modelPath: first.path, version: String(weightVersion) });

    const writeMetrics = jsonlWriter(paths.metrics);
    // TensorBoard / W&B read metrics.jsonl from a process of their own: it never holds up a step.
    const sink = startMetricsSink({
      runDir: paths.root, root: repoRoot, log, tensorboard: recipe.logging.tensorboard,
      python: recipe.trainer.python ?? process.env.PHYSARUM_PYTHON ?? path.join(repoRoot, '.venv', 'bin', 'python'),
      ...(recipe.logging.wandb ? { wandb: recipe.logging.wandb } : {}),
    });
    cleanups.push(() => sink.close());
    const writeEval = jsonlWriter(paths.evals);
    const writeTimeline = timelineWriter(path.join(paths.root, TIMELINE_FILE), { resume: options.resume ?? false });
    cleanups.push(async () => writeTimeline.flush());
    let firstEval: EvalResult | undefined;
    let lastEval: EvalResult | undefined;
    const onMetrics = (line: Record<string, number | string>): void => {
      if (line.event === 'eval') {
        writeEval(line);
        firstEval ??= line as unknown as EvalResult;
        lastEval = line as unknown as EvalResult;
        log(`eval after ${Number(line.step) + 1} steps (v${line.weight_version}): ${formatEval(line)}`);
      } else {
        writeMetrics(line);
        writeTimeline(line);
        log(formatStepLine(line, recipe.train.steps));
        options.onStep?.(line);
      }
    };
    const roleEngines = openRoleEngines(recipe.rollout.roles);
    cleanups.push(() => roleEngines.close());
    // One run of the env for training and eval alike: its setup(), its sandboxes (Docker
    // leases, per-task images, forks per group) and its close() when the run ends.
    const env = await loadEnv(recipe.env);
    const envRun = await openEnvRun(env, { signal: abort });
    cleanups.push(() => envRun.close());
    const episodeBase = { env, sandboxes: envRun.sandboxes, roleEngines };
    const evaluator = await heldOutEvaluator(recipe, engines, chat, abort, episodeBase);
    const start = { step: (resumed?.trainedStep ?? -1) + 1, weightVersion };
    const stop = AbortSignal.any([abort, ...(options.stop ? [options.stop] : [])]);
    const maxTokensPerGpu = recipe.trainer.maxTokensPerGpu;
    let result: LoopResult;
    if (recipe.algorithm.kind === 'sft') {
      const conversations = (await readPromptRows(recipe.data.train)).map((row) => parseConversation(row.value, `${row.file} row ${row.row}`));
      result = await runSftLoop(
        { trainer, weights, checkpoints, chat, conversations, onMetrics, ...(evaluator ? { evaluate: evaluator } : {}) },
        {
          steps: recipe.train.steps, batchSize: recipe.train.sftBatchSize, seed: recipe.train.seed, evalEvery: recipe.eval.every,
          saveEvery: recipe.train.saveEvery, maxTokensPerGpu, stop,
          ...(recipe.train.stopAtReward !== undefined ? { stopAtReward: recipe.train.stopAtReward } : {}),
          ...(recipe.rollout.templateKwargs ? { templateKwargs: recipe.rollout.templateKwargs } : {}),
        },
        start,
      );
    } else {
      const buffer = DataBuffer.open(paths.buffer, {
        normalization: recipe.algorithm.normalization,
        advantage: recipe.algorithm.advantage,
        filters: { dropZeroStd: recipe.algorithm.dropZeroStd, ...(recipe.algorithm.minTrainable ? { minTrainable: recipe.algorithm.minTrainable } : {}) },
        partialRollout: recipe.algorithm.partialRollout,
        keepStale: recipe.algorithm.keepStale,
        ...(recipe.algorithm.maxStaleness !== undefined ? { maxWeightLag: recipe.algorithm.maxStaleness } : {}),
      });
      cleanups.push(() => buffer.close());
      const rollout = await rolloutManager(recipe, engines, chat, buffer, episodeBase, {
        ...(recipe.logging.episodeSpans ? { onEpisodeSpans: writeTimeline.episode } : {}),
        ...(options.onEpisode ? { onEpisode: options.onEpisode } : {}),
      });
      const saved = buffer.cursor();
      let rolledThrough = start.step - 1;
      if (saved !== undefined) {
        const cursor = RolloutCursor.parse(saved);
        rollout.restore(cursor.rollout);
        rolledThrough = cursor.rolloutStep;
      }
      result = await runLoop(
        { trainer, buffer, rollout, weights, checkpoints, onMetrics, ...(evaluator ? { evaluate: evaluator } : {}) },
        {
          mode: recipe.train.mode, steps: recipe.train.steps, batchSize: recipe.rollout.batchSize, maxTokensPerGpu,
          evalEvery: recipe.eval.every, saveEvery: recipe.train.saveEvery, colocate: recipe.train.colocate,
          temperature: recipe.rollout.sampling.temperature || 1, stop, abort,
        },
        { ...start, rolledThrough },
      );
    }
    // The worker writes <dir>/weights-<version>; the run's final weights are that folder, renamed.
    const staging = `${paths.final}.staging`;
    rmSync(staging, { recursive: true, force: true });
    const exported = await trainer.exportWeights({ format: 'hf', dir: staging, version: result.weightVersion });
    rmSync(paths.final, { recursive: true, force: true });
    renameSync(exported.path, paths.final);
    rmSync(staging, { recursive: true, force: true });
    return { ...result, runDir: paths.root, ...(firstEval ? { firstEval } : {}), ...(lastEval ? { lastEval } : {}), seconds: (performance.now() - began) / 1000 };
  } catch (error) {
    throw crashed.signal.aborted ? crashed.signal.reason : error;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

/** What every episode of the run shares: the env, its sandbox leases, the per-role engines. */
interface EpisodeBase {
  env: AnyEnv;
  sandboxes: EnvSandboxes | undefined;
  roleEngines: RoleEngines;
}

async function rolloutManager(
  recipe: Recipe, engines: OpenEngines, chat: Chat, buffer: DataBuffer, { env, sandboxes, roleEngines }: EpisodeBase,
  observers: { onEpisodeSpans?: TimelineWriter['episode']; onEpisode?: (samples: readonly Sample[]) => void },
): Promise<RolloutManager> {
  // A role the env does not have is named before the first rollout, not as failed episodes.
  if (recipe.rollout.roles) checkRoleNames(asAgents(env).roles, Object.keys(recipe.rollout.roles));
  const source = await PromptSource.fromFile(recipe.data.train, { shuffle: recipe.data.shuffle, seed: recipe.train.seed, keys: datasetKeys(recipe) });
  const r = recipe.rollout;
  return new RolloutManager({
    source,
    nSamplesPerPrompt: r.nSamplesPerPrompt,
    batchSize: r.batchSize,
    ...(recipe.algorithm.overSamplingBatchSize ? { overSamplingBatchSize: recipe.algorithm.overSamplingBatchSize } : {}),
    ...envGroupGenerate({
      env, engine: engines.client, chat, sampling: r.sampling,
      ...(sandboxes ? { sandboxes } : {}),
      ...(roleEngines.roles ? { roles: roleEngines.roles } : {}),
      ...(r.maxTurns ? { maxTurns: r.maxTurns } : {}),
      ...(r.templateKwargs ? { templateKwargs: r.templateKwargs } : {}),
      ...observers,
    }),
    partialRollout: recipe.algorithm.partialRollout,
    maskOffPolicyInPartialRollout: recipe.algorithm.maskOffPolicyInPartialRollout,
    // rollout.concurrency bounds the episodes with a model call in flight (the engine client has as many connections).
    budgets: createBudgets({ model: r.concurrency }),
    abortEngines: (o) => abortWorkers(engines.workerUrls())(o),
    onGroup: async (group, o) => void (await buffer.ingest(group.samples, o)),
  });
}

async function heldOutEvaluator(
  recipe: Recipe, engines: OpenEngines, chat: Chat, signal: AbortSignal, { env, sandboxes, roleEngines }: EpisodeBase,
): Promise<((step: number) => Promise<EvalResult>) | undefined> {
  if (!recipe.data.heldOut) return undefined;
  const all = (await PromptSource.fromFile(recipe.data.heldOut, { keys: datasetKeys(recipe) })).records;
  const prompts = recipe.eval.limit ? all.slice(0, recipe.eval.limit) : all;
  const sampling = { ...recipe.rollout.sampling, ...(recipe.eval.maxNewTokens ? { max_new_tokens: recipe.eval.maxNewTokens } : {}) };
  const r = recipe.rollout;
  return (step) =>
    evaluate(
      {
        prompts, sampling, greedy: recipe.eval.greedy, passK: recipe.eval.passK, passThreshold: recipe.eval.passThreshold, signal,
        episode: { env, engine: engines.client, chat, ...(sandboxes ? { sandboxes } : {}), ...(roleEngines.roles ? { roles: roleEngines.roles } : {}), ...(r.maxTurns ? { maxTurns: r.maxTurns } : {}), ...(r.templateKwargs ? { templateKwargs: r.templateKwargs } : {}) },
      },
      step,
    );
}

function datasetKeys(recipe: Recipe): DatasetKeys {
  return { inputKey: recipe.data.inputKey, ...(recipe.data.labelKey ? { labelKey: recipe.data.labelKey } : {}) };
}

function formatEval(line: Record<string, number | string>): string {
  return Object.entries(line)
    .filter(([key]) => key.startsWith('heldout_'))
    .map(([key, value]) => `${key.slice('heldout_'.length)}=${typeof value === 'number' ? Number(value.toFixed(3)) : value}`)
    .join(' ');
}
