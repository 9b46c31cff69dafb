/**
 * Role-conditioned advantage estimation (RAE, from SPIRAL's self-play training): one running
 * baseline per (env, role). In a zero-sum game one seat can have an edge (Kuhn poker's second
 * player wins more); a shared group mean then keeps telling the favoured seat it did well and the
 * other it did badly, whatever either learned. RAE subtracts each role's own running mean instead:
 *
 *   baseline[env, role] <- decay * baseline[env, role] + (1 - decay) * mean reward of the role's rollouts in this batch
 *   advantage           =  reward - baseline[env, role]
 *
 * Baselines start at 0 and are updated before they are subtracted. The env is `metadata.env`
 * when a sample carries one (several envs in one buffer), else '' (one env per buffer).
 * The baselines live in the buffer file and change in the same commit as the take that used
 * them, and each step records the baselines it used, so a replayed step gets the same advantages.
 */
import { InvalidInputError } from '../protocol/errors.ts';
import type { Sample } from '../protocol/sample.ts';

export type AdvantageEstimator = { estimator: 'group' } | { estimator: 'rae'; decay?: number };

export const DEFAULT_RAE_DECAY = 0.95;

export interface RoleBaseline {
  value: number;
  /** Batches that updated it. */
  batches: number;
}
export type RoleBaselines = Record<string, RoleBaseline>;

/** The decay of an RAE estimator, checked; undefined for the group estimator. */
export function raeDecay(advantage: AdvantageEstimator | undefined): number | undefined {
  if (advantage === undefined || advantage.estimator === 'group') return undefined;
  if (advantage.estimator !== 'rae') throw new InvalidInputError(`advantage.estimator must be 'group' or 'rae', got '${String((advantage as { estimator: unknown }).estimator)}'`);
  const decay = advantage.decay ?? DEFAULT_RAE_DECAY;
  if (!(decay >= 0 && decay < 1)) throw new InvalidInputError(`advantage.decay must be in [0, 1), got ${String(decay)}`);
  return decay;
}

/** The baseline a sample is measured against: its env (metadata.env, or '') and its role. */
export function roleKey(sample: Pick<Sample, 'agent' | 'metadata'>): string {
  const env = typeof sample.metadata.env === 'string' ? sample.metadata.env : '';
  return `${env}/${sample.agent}`;
}

/**
 * One batch's update. `units` are the batch's trainable rollouts (one entry per rollout and role,
 * however many forks it has), each with its reward. Roles absent from the batch keep their baseline.
 */
export function updateBaselines(previous: RoleBaselines, units: ReadonlyArray<{ key: string; reward: number }>, decay: number): RoleBaselines {
  const sums = new Map<string, { total: number; n: number }>();
  for (const { key, reward } of units) {
    const s = sums.get(key) ?? { total: 0, n: 0 };
    s.total += reward;
    s.n += 1;
    sums.set(key, s);
  }
  const next: RoleBaselines = { ...previous };
  for (const [key, { total, n }] of sums) {
    const old = previous[key] ?? { value: 0, batches: 0 };
    next[key] = { value: decay * old.value + (1 - decay) * (total / n), batches: old.batches + 1 };
  }
  return next;
}
