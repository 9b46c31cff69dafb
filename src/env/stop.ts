/**
 * Composable stop conditions: plain functions over the steps so far. Each one that fires says how
 * the episode ends: `terminated` (the task reached its end, e.g. the answer was submitted) or
 * `truncated` (a limit cut it short, e.g. the turn budget) — the trainer treats the two apart.
 */
import { InvalidInputError } from '../protocol/errors.ts';
import type { StepRecord } from './types.ts';

export interface StopState<TState = unknown> {
  steps: readonly StepRecord[];
  /** Tokens in the episode so far (prompt, sampled and tool tokens, across turns and forks). */
  totalTokens: number;
  state: TState;
}

export interface StopDecision {
  outcome: 'terminated' | 'truncated';
  reason: string;
}

export type StopCondition<TState = any> = (
  run: StopState<TState>,
) => StopDecision | undefined | Promise<StopDecision | undefined>;

/** A custom predicate over the steps so far, with the outcome it stands for. */
export function stopWhen<TState = any>(
  predicate: (run: StopState<TState>) => boolean | Promise<boolean>,
  decision: StopDecision,
): StopCondition<TState> {
  return async (run) => ((await predicate(run)) ? decision : undefined);
}

/** Truncates after `maxTurns` model turns. */
export function stepCountIs(maxTurns: number): StopCondition {
  if (!Number.isInteger(maxTurns) || maxTurns < 1) throw new InvalidInputError(`stepCountIs: maxTurns must be a positive integer, got ${maxTurns}`);
  return (run) =>
    run.steps.length >= maxTurns ? { outcome: 'truncated', reason: `reached the turn limit (${maxTurns})` } : undefined;
}

/** Terminates once the last turn called tool `name` (e.g. 'submit'). */
export function hasToolCall(name: string): StopCondition {
  return (run) => {
    const last = run.steps.at(-1);
    const called = last?.reply.message.toolCalls?.some((call) => call.name === name) ?? false;
    return called ? { outcome: 'terminated', reason: `called tool '${name}'` } : undefined;
  };
}

/** Truncates once the episode holds `maxTokens` tokens or more (all turns, all forks). */
export function tokenBudgetIs(maxTokens: number): StopCondition {
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new InvalidInputError(`tokenBudgetIs: maxTokens must be a positive integer, got ${maxTokens}`);
  return (run) =>
    run.totalTokens >= maxTokens ? { outcome: 'truncated', reason: `reached the token budget (${maxTokens})` } : undefined;
}

/** Fires when any condition fires; the first (in argument order) decides the outcome. */
export function anyOf<TState = any>(...conditions: Array<StopCondition<TState> | undefined>): StopCondition<TState> {
  const list = conditions.filter((c): c is StopCondition<TState> => c !== undefined);
  return async (run) => {
    for (const condition of list) {
      const decision = await condition(run);
      if (decision) return decision;
    }
    return undefined;
  };
}

/** Fires when every condition fires; truncated if any of them says truncated. */
export function allOf<TState = any>(...conditions: Array<StopCondition<TState>>): StopCondition<TState> {
  if (conditions.length === 0) throw new InvalidInputError('allOf: give at least one condition');
  return async (run) => {
    const decisions: StopDecision[] = [];
    for (const condition of conditions) {
      const decision = await condition(run);
      if (!decision) return undefined;
      decisions.push(decision);
    }
    const outcome = decisions.some((d) => d.outcome === 'truncated') ? 'truncated' : 'terminated';
    return { outcome, reason: decisions.map((d) => d.reason).join(' and ') };
  };
}

/** Fires when `condition` does not (stop unless it holds); `decision` says how. */
export function stopUnless<TState = any>(condition: StopCondition<TState>, decision: StopDecision): StopCondition<TState> {
  return async (run) => ((await condition(run)) ? undefined : decision);
}

/** Evaluates an optional condition (undefined never fires). */
export async function checkStop<TState>(
  condition: StopCondition<TState> | undefined,
  run: StopState<TState>,
): Promise<StopDecision | undefined> {
  return condition ? ((await condition(run)) ?? undefined) : undefined;
}
