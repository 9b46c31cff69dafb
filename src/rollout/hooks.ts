/**
 * The customization points of a rollout, and their loader. A hook is named by a
 * `path/to/module.ts#exportName` string (slime's dotted `module.attr` paths, in ESM form) so a
 * recipe or CLI flag can point at user code. Signatures are pinned by tests/rollout/hooks.test.ts.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidInputError, throwIfAborted } from '../protocol/errors.ts';
import type { Sample } from '../protocol/sample.ts';
import type { ConcurrencyBudgets } from './budgets.ts';
import type { PromptRecord } from './prompt-record.ts';

/** What a slot being (re)generated continues from: its partial samples and the runner's snapshot. */
export interface SlotResume {
  samples: Sample[];
  snapshot?: unknown;
}

/** One episode slot a group generate must fill. */
export interface SlotRequest {
  slot: number;
  /** Global sample index to stamp on the slot's samples. */
  index: number;
  rolloutId: string;
  resume?: SlotResume;
}

/** A slot's result: finished samples, or `aborted` partial samples plus a snapshot to resume from. */
export interface SlotOutcome {
  slot: number;
  samples: Sample[];
  snapshot?: unknown;
}

interface GenerateContextBase {
  prompt: PromptRecord;
  groupIndex: number;
  /** The rollout step (slime `rollout_id`). */
  step: number;
  /** Fires when the step has enough groups: return partial samples (status `aborted`) promptly. */
  signal: AbortSignal;
  budgets: ConcurrencyBudgets;
}

export interface GroupGenerateContext extends GenerateContextBase {
  /** Samples per prompt. */
  n: number;
  /** Only the slots still to do: finished slots of a resumed group are not regenerated. */
  slots: SlotRequest[];
}

export interface SampleGenerateContext extends GenerateContextBase, SlotRequest {}

/** Per-group generate (slime `--custom-generate-function-path` lifted to a group). */
export type GroupGenerateHook = (context: GroupGenerateContext) => Promise<SlotOutcome[]>;

/** Per-sample generate: one episode; forks return several samples sharing `rolloutId`. */
export type SampleGenerateHook = (
  context: SampleGenerateContext,
) => Promise<Sample | Sample[] | { samples: Sample[]; snapshot?: unknown }>;

/** A reward: a number, or the scalar plus named components (stored in `Sample.rewards`). */
export type RewardValue = number | { reward: number; rewards?: Record<string, number> };

export interface RolloutRewardContext {
  prompt: PromptRecord;
  groupIndex: number;
  step: number;
  signal: AbortSignal;
}

/** Per-sample reward (slime `--custom-rm-path`). Throwing marks the sample `verifier_error`. */
export type SampleRewardHook = (sample: Sample, context: RolloutRewardContext) => Promise<RewardValue> | RewardValue;

/** Per-group reward (slime `--group-rm`): one value per sample given, in order. */
export type GroupRewardHook = (samples: Sample[], context: RolloutRewardContext) => Promise<RewardValue[]> | RewardValue[];

/**
 * Load `module.ts#exportName` (export defaults to `default`), relative paths against `baseDir`
 * (default: the working directory). Fails naming the path when the file or export is missing or
 * the export is not a function.
 */
export async function loadHook<T extends (...args: any[]) => unknown>(
  spec: string,
  options: { baseDir?: string; signal?: AbortSignal } = {},
): Promise<T> {
  throwIfAborted(options.signal);
  const hash = spec.lastIndexOf('#');
  const file = hash === -1 ? spec : spec.slice(0, hash);
  const exportName = hash === -1 ? 'default' : spec.slice(hash + 1);
  if (file === '' || exportName === '') throw new InvalidInputError(`hook "${spec}": expected "path/to/module.ts#exportName"`);
  const absolute = path.resolve(options.baseDir ?? process.cwd(), file);
  try {
    await stat(absolute);
  } catch (error) {
    throw new InvalidInputError(`hook "${spec}": module ${absolute} does not exist`, { cause: error });
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    throw new InvalidInputError(`hook "${spec}": importing ${absolute} failed: ${(error as Error).message}`, { cause: error });
  }
  if (!(exportName in module)) {
    const names = Object.keys(module).sort().join(', ') || '(none)';
    throw new InvalidInputError(`hook "${spec}": module has no export "${exportName}" (exports: ${names})`);
  }
  const value = module[exportName];
  if (typeof value !== 'function') throw new InvalidInputError(`hook "${spec}": export "${exportName}" is a ${typeof value}, not a function`);
  return value as T;
}
