/**
 * Separate concurrency budgets per rollout stage. One global semaphore (slime's
 * `--sglang-server-concurrency`) lets slow sandbox creation starve the engines or a burst of
 * verifiers starve sandboxes; a budget per stage keeps each resource at its own limit. The episode
 * runner, tools and the sandbox pool take these limiters and wrap their calls in them.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { InvalidInputError } from '../protocol/errors.ts';

export type BudgetStage = 'episode' | 'sandboxCreate' | 'sandboxExec' | 'model' | 'verify';
export const BUDGET_STAGES: readonly BudgetStage[] = ['episode', 'sandboxCreate', 'sandboxExec', 'model', 'verify'];

export type BudgetLimits = Record<BudgetStage, number>;

export const DEFAULT_BUDGET_LIMITS: Readonly<BudgetLimits> = Object.freeze({
  // Whole episodes in flight (each may hold a sandbox); unlimited unless a caller bounds it.
  episode: Number.POSITIVE_INFINITY,
  sandboxCreate: 8,
  sandboxExec: 64,
  // slime's --sglang-server-concurrency default, per engine.
  model: 512,
  verify: 16,
});

export interface StageUsage {
  limit: number;
  active: number;
  pending: number;
}

export interface ConcurrencyBudgets extends Record<BudgetStage, LimitFunction> {
  /** Current use of every stage, for dashboards and reports. */
  usage(): Record<BudgetStage, StageUsage>;
}

export function createBudgets(limits: Partial<BudgetLimits> = {}): ConcurrencyBudgets {
  const resolved = { ...DEFAULT_BUDGET_LIMITS, ...limits };
  for (const stage of BUDGET_STAGES) {
    const limit = resolved[stage];
    if (!(Number.isInteger(limit) || limit === Number.POSITIVE_INFINITY) || limit < 1)
      throw new InvalidInputError(`concurrency budget "${stage}" must be a positive integer, got ${limit}`);
  }
  const limiters = {
    episode: pLimit(resolved.episode),
    sandboxCreate: pLimit(resolved.sandboxCreate),
    sandboxExec: pLimit(resolved.sandboxExec),
    model: pLimit(resolved.model),
    verify: pLimit(resolved.verify),
  };
  return {
    ...limiters,
    usage() {
      const usage = {} as Record<BudgetStage, StageUsage>;
      for (const stage of BUDGET_STAGES) {
        const limiter = limiters[stage];
        usage[stage] = { limit: limiter.concurrency, active: limiter.activeCount, pending: limiter.pendingCount };
      }
      return usage;
    },
  };
}
