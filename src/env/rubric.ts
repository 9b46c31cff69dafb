/**
 * Rubrics: named, weighted reward functions plus zero-weight metrics, and group-level reward
 * functions that see the whole group at once. The scalar reward is the weighted sum; every value
 * (weighted or not) is kept in `Sample.rewards`. A function that throws is a verifier failure —
 * status `verifier_error`, reward null — never a reward of 0.
 */
import { TRAINABLE_STATUSES, type Sample, type SampleStatus } from '../protocol/sample.ts';
import { VerifierError } from './errors.ts';
import type { Message, StepRecord } from './types.ts';

export interface RewardContext<TTask = any, TState = any, TSandbox = any> {
  task: TTask;
  state: TState;
  /** The scored role's full conversation (its own view). */
  messages: readonly Message[];
  steps: readonly StepRecord[];
  /** Content of the role's last assistant message ('' if it never spoke). */
  completion: string;
  /** The role being scored ("policy" in single-agent episodes). */
  role: string;
  /** `completed` or `truncated`: other statuses are never scored. */
  status: SampleStatus;
  /** The agent's sandbox, after `finalize()` (its processes stopped): its state, as the agent left it. */
  sandbox: TSandbox;
  /**
   * A fresh sandbox of the task holding only the agent's changes under the spec's `verifyPaths`
   * (nothing else the agent wrote, none of its processes): where reward code that must be trusted
   * runs tests. Released after scoring; each call opens another one.
   */
  verificationRoom(): Promise<TSandbox>;
  signal: AbortSignal;
}

/** A reward or metric; booleans count as 1/0. */
export type RewardFunction<TTask = any, TState = any, TSandbox = any> = (
  ctx: RewardContext<TTask, TState, TSandbox>,
) => number | boolean | Promise<number | boolean>;

export interface GroupContext<TTask = any> {
  task: TTask;
  signal: AbortSignal;
}

/**
 * Sees every scorable sample of one group (same task) and returns one value per sample, in order.
 * Samples already carry their per-sample `rewards`, so a group function can rank or normalize them.
 */
export type GroupRewardFunction<TTask = any> = (samples: readonly Sample[], ctx: GroupContext<TTask>) => number[] | Promise<number[]>;

export interface WeightedReward<TTask = any, TState = any, TSandbox = any> {
  weight: number;
  fn: RewardFunction<TTask, TState, TSandbox>;
}

export interface RubricDefinition<TTask = any, TState = any, TSandbox = any> {
  /** Weighted rewards; a bare function has weight 1. */
  rewards: Record<string, RewardFunction<TTask, TState, TSandbox> | WeightedReward<TTask, TState, TSandbox>>;
  /** Zero-weight metrics: recorded in `Sample.rewards`, never added to the reward. */
  metrics?: Record<string, RewardFunction<TTask, TState, TSandbox>>;
  /** Group-level rewards, applied by `scoreGroup` once the whole group is in. */
  group?: Record<string, { weight: number; fn: GroupRewardFunction<TTask> }>;
}

export interface Rubric<TTask = any, TState = any, TSandbox = any> {
  readonly functions: ReadonlyArray<{ name: string; weight: number; fn: RewardFunction<TTask, TState, TSandbox> }>;
  readonly groupFunctions: ReadonlyArray<{ name: string; weight: number; fn: GroupRewardFunction<TTask> }>;
}

/** A rubric outside an env class (inside one, `this.defineRubric` types task, state and sandbox from the env). */
export function rubric<TTask = any, TState = any, TSandbox = any>(definition: RubricDefinition<TTask, TState, TSandbox>): Rubric<TTask, TState, TSandbox> {
  const functions: Array<{ name: string; weight: number; fn: RewardFunction<TTask, TState, TSandbox> }> = [];
  const groupFunctions: Array<{ name: string; weight: number; fn: GroupRewardFunction<TTask> }> = [];
  const seen = new Set<string>();
  const claim = (name: string, weight: number): void => {
    if (seen.has(name)) throw new RangeError(`rubric: the name '${name}' is used twice`);
    if (!Number.isFinite(weight)) throw new RangeError(`rubric: weight of '${name}' must be a finite number, got ${weight}`);
    seen.add(name);
  };
  for (const [name, entry] of Object.entries(definition.rewards)) {
    const { weight, fn } = typeof entry === 'function' ? { weight: 1, fn: entry } : entry;
    claim(name, weight);
    functions.push({ name, weight, fn });
  }
  for (const [name, fn] of Object.entries(definition.metrics ?? {})) {
    claim(name, 0);
    functions.push({ name, weight: 0, fn });
  }
  for (const [name, { weight, fn }] of Object.entries(definition.group ?? {})) {
    claim(name, weight);
    groupFunctions.push({ name, weight, fn });
  }
  return { functions, groupFunctions };
}

function toScore(name: string, value: unknown): number {
  const score = typeof value === 'boolean' ? Number(value) : value;
  if (typeof score !== 'number' || !Number.isFinite(score))
    throw new VerifierError(name, `reward '${name}' returned ${String(value)}; expected a finite number or a boolean`);
  return score;
}

/** Runs every per-sample function. Throws `VerifierError` naming the function that failed. */
export async function scoreEpisode<TTask, TState, TSandbox>(
  r: Rubric<TTask, TState, TSandbox>,
  ctx: RewardContext<TTask, TState, TSandbox>,
): Promise<{ reward: number; rewards: Record<string, number> }> {
  const rewards: Record<string, number> = {};
  let reward = 0;
  for (const { name, weight, fn } of r.functions) {
    let value: unknown;
    try {
      value = await fn(ctx);
    } catch (error) {
      throw new VerifierError(name, `reward '${name}' threw: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
    rewards[name] = toScore(name, value);
    reward += weight * rewards[name];
  }
  return { reward, rewards };
}

/**
 * Applies the rubric's group functions to one group and returns updated copies. Only samples with
 * a trainable status are shown to them; the rest pass through unchanged. A group function that
 * throws (or returns the wrong count) marks every shown sample `verifier_error` with reward null.
 */
export async function scoreGroup<TTask>(r: Rubric<TTask, any, any>, samples: readonly Sample[], ctx: GroupContext<TTask>): Promise<Sample[]> {
  if (r.groupFunctions.length === 0) return [...samples];
  const scorable = samples.filter((s) => TRAINABLE_STATUSES.has(s.status) && s.reward !== null);
  const extra = new Map<Sample, Record<string, number>>(scorable.map((s) => [s, {}]));
  try {
    for (const { name, fn } of r.groupFunctions) {
      let values: unknown;
      try {
        values = await fn(scorable, ctx);
      } catch (error) {
        throw new VerifierError(name, `group reward '${name}' threw: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
      if (!Array.isArray(values) || values.length !== scorable.length)
        throw new VerifierError(name, `group reward '${name}' returned ${Array.isArray(values) ? values.length : typeof values} values for ${scorable.length} samples`);
      scorable.forEach((s, i) => (extra.get(s)![name] = toScore(name, values[i])));
    }
  } catch (error) {
    const reason = (error as Error).message;
    return samples.map((s) => (extra.has(s) ? { ...s, status: 'verifier_error', statusReason: reason, reward: null } : s));
  }
  return samples.map((s) => {
    const added = extra.get(s);
    if (!added) return s;
    const rewards = { ...s.rewards, ...added };
    const reward = [...r.functions, ...r.groupFunctions].reduce((sum, f) => sum + f.weight * (rewards[f.name] ?? 0), 0);
    return { ...s, rewards, reward };
  });
}
