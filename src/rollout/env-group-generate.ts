/**
 * The generate hook of an env: every slot of a group is one episode of the env (`runEpisode`)
 * against one engine, resumed from the runner's snapshot when a group was carried over. Each
 * episode runs inside the `episode` budget, its /generate calls inside `model` and its sandbox
 * lease inside `sandboxCreate`. The env rubric's group functions become the manager's group
 * reward, so they run once the whole group is in, resumed slots included.
 *
 * This is what `physarum rollout`, `physarum demo` and a training driver hand to RolloutManager.
 */
import type { LimitFunction } from 'p-limit';
import { asAgents, type GenerateEngine } from '../env/agents.ts';
import type { EpisodeSnapshot } from '../env/episode-snapshot.ts';
import type { EpisodeSpan } from '../env/episode-trace.ts';
import { runEpisode, type RunEpisodeOptions } from '../env/episode.ts';
import { VerifierError } from '../env/errors.ts';
import { scoreGroup } from '../env/rubric.ts';
import type { SandboxLeases } from '../env/sandbox-lease.ts';
import { parseTask } from '../env/task.ts';
import type { Sample } from '../protocol/sample.ts';
import type { ConcurrencyBudgets } from './budgets.ts';
import { EpisodeLanes } from './episode-lanes.ts';
import type { GroupGenerateHook, GroupRewardHook } from './hooks.ts';
import { perSampleGenerate } from './per-sample-generate.ts';
import type { PromptRecord } from './prompt-record.ts';

export interface EnvGroupGenerateOptions
  extends Omit<RunEpisodeOptions, 'task' | 'rolloutId' | 'groupIndex' | 'index' | 'signal' | 'resume' | 'sandboxes' | 'onSpans'> {
  /** The env task of a prompt (default: `record.task`, else `{ prompt, label, metadata }`). */
  toTask?: (record: PromptRecord) => unknown;
  /**
   * One sandbox per episode (see `envSandboxes`), released after scoring. A resumed episode gets
   * a fresh sandbox, so envs whose sandbox holds state should not use partial rollout unless the
   * provider restores it.
   */
  sandboxes?: SandboxLeases;
  /** Called with each finished episode's samples (progress bars, dashboards). */
  onEpisode?: (samples: readonly Sample[]) => void;
  /**
   * Called with each finished episode's spans (see env/episode-trace.ts), the rollout step it
   * belongs to, and its lane: the lowest row free when it started (timelines draw one row per lane).
   */
  onEpisodeSpans?: (spans: EpisodeSpan[], where: { step: number; lane: number }) => void;
}

/** What to spread into `RolloutManagerOptions`: the generate hook, and the group reward when the rubric has one. */
export interface EnvRolloutHooks {
  generate: GroupGenerateHook;
  rewardGroup?: GroupRewardHook;
}

export function defaultTask(record: PromptRecord): unknown {
  return record.task !== undefined ? record.task : { prompt: record.prompt, label: record.label, metadata: record.metadata };
}

export function envGroupGenerate(options: EnvGroupGenerateOptions): EnvRolloutHooks {
  const { toTask = defaultTask, sandboxes, onEpisode, onEpisodeSpans, engine, ...episodeOptions } = options;
  const lanes = new EpisodeLanes();
  const program = asAgents(options.env);

  const episodes = (leases: SandboxLeases | undefined) => perSampleGenerate((context) =>
    context.budgets.episode(async () => {
      const lane = onEpisodeSpans ? lanes.acquire() : -1;
      const result = await runEpisode({
        ...episodeOptions,
        engine: withinBudget(engine, context.budgets.model),
        task: toTask(context.prompt),
        rolloutId: context.rolloutId,
        groupIndex: context.groupIndex,
        index: context.index,
        signal: context.signal,
        ...(context.resume?.snapshot !== undefined ? { resume: context.resume.snapshot as EpisodeSnapshot } : {}),
        ...(leases ? { sandboxes: leaseWithinBudget(leases, context.budgets) } : {}),
        ...(onEpisodeSpans ? { onSpans: (spans: EpisodeSpan[]) => onEpisodeSpans(spans, { step: context.step, lane }) } : {}),
      }).finally(() => lane >= 0 && lanes.release(lane));
      onEpisode?.(result.samples);
      return { samples: result.samples, snapshot: result.snapshot };
    }),
  );
  // A group's episodes share one task: a provider that prepares it once hands out forks of it.
  const generate: GroupGenerateHook = async (context) => {
    const group = sandboxes?.forGroup?.(context.slots.length);
    try {
      return await episodes(group ?? sandboxes)(context);
    } finally {
      await group?.close();
    }
  };

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

function leaseWithinBudget(sandboxes: SandboxLeases, budgets: ConcurrencyBudgets): SandboxLeases {
  return { lease: (signal, task) => budgets.sandboxCreate(() => sandboxes.lease(signal, task)) };
}
