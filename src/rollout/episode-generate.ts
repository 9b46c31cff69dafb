/**
 * The default generate: run the env's episode for every slot of a group (`runEpisode`), resuming
 * from the runner's snapshot when a group was carried over, with model calls inside the `model`
 * budget and sandbox acquisition inside `sandboxCreate`. The env rubric's group functions become
 * the manager's group reward, so they run once the whole group is in, resumed slots included.
 */
import { asAgents, type GenerateEngine } from '../env/agents.ts';
import type { EpisodeSnapshot } from '../env/episode-snapshot.ts';
import { runEpisode, type RunEpisodeOptions } from '../env/episode.ts';
import { scoreGroup } from '../env/rubric.ts';
import { parseTask } from '../env/task.ts';
import { VerifierError } from '../env/errors.ts';
import type { LimitFunction } from 'p-limit';
import type { GroupGenerateHook, GroupRewardHook } from './hooks.ts';
import { perSampleGenerate } from './per-sample-generate.ts';
import type { PromptRecord } from './prompt-record.ts';

export interface SandboxLease {
  sandbox: unknown;
  release(): Promise<void>;
}

export interface EpisodeRolloutOptions
  extends Omit<RunEpisodeOptions, 'task' | 'rolloutId' | 'groupIndex' | 'index' | 'signal' | 'resume' | 'sandbox'> {
  /** The env task of a prompt (default: `record.task`, else `{ prompt, label, metadata }`). */
  toTask?: (record: PromptRecord) => unknown;
  /**
   * One sandbox per episode, released when it ends. A resumed episode gets a fresh sandbox, so
   * envs whose sandbox holds state should not use partial rollout unless the provider restores it.
   */
  acquireSandbox?: (context: { prompt: PromptRecord; slot: number; signal: AbortSignal }) => Promise<SandboxLease>;
}

export function defaultTask(record: PromptRecord): unknown {
  return record.task !== undefined ? record.task : { prompt: record.prompt, label: record.label, metadata: record.metadata };
}

/** `generate` (and, when the env's rubric has group functions, `rewardGroup`) for a RolloutManager. */
export function episodeRollout(options: EpisodeRolloutOptions): { generate: GroupGenerateHook; rewardGroup?: GroupRewardHook } {
  const { toTask = defaultTask, acquireSandbox, engine, ...episodeOptions } = options;
  const program = asAgents(options.env);

  const generate = perSampleGenerate(async (context) => {
    const lease = acquireSandbox
      ? await context.budgets.sandboxCreate(() => acquireSandbox({ prompt: context.prompt, slot: context.slot, signal: context.signal }))
      : undefined;
    try {
      const result = await runEpisode({
        ...episodeOptions,
        engine: withinBudget(engine, context.budgets.model),
        task: toTask(context.prompt),
        rolloutId: context.rolloutId,
        groupIndex: context.groupIndex,
        index: context.index,
        signal: context.signal,
        ...(context.resume?.snapshot !== undefined ? { resume: context.resume.snapshot as EpisodeSnapshot } : {}),
        ...(lease ? { sandbox: lease.sandbox } : {}),
      });
      return { samples: result.samples, snapshot: result.snapshot };
    } finally {
      await lease?.release();
    }
  });

  if (program.rubric.groupFunctions.length === 0) return { generate };
  const rewardGroup: GroupRewardHook = async (samples, context) => {
    const task = parseTask(program.taskSchema, toTask(context.prompt));
    const scored = await scoreGroup(program.rubric, samples, { task, signal: context.signal });
    return scored.map((sample) => {
      if (sample.reward === null) throw new VerifierError('group', sample.statusReason ?? 'group rubric gave no reward');
      return { reward: sample.reward, rewards: sample.rewards };
    });
  };
  return { generate, rewardGroup };
}

/** Every /generate of the episode waits for a slot of the `model` budget. */
function withinBudget(engine: GenerateEngine, limit: LimitFunction): GenerateEngine {
  return { generate: (request, options) => limit(() => engine.generate(request, options)) };
}
