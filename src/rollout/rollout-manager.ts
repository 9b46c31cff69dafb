/**
 * The rollout manager: fills one training step with `batchSize` accepted groups of
 * `nSamplesPerPrompt` samples, as slime's `generate_rollout_async` does. It over-samples
 * (`overSamplingBatchSize` groups at a time while accepted + in-flight < batchSize), filters each
 * finished group, hands accepted ones to `onGroup` as they arrive, and once the step is full
 * aborts the rest: the episodes through their signal and the engines through `/abort_request`.
 * With partial rollout the aborted groups are carried (as JSON) into the next step and resumed.
 */
import { z } from 'zod';
import { AbortedError, InvalidInputError, throwIfAborted } from '../protocol/errors.ts';
import { createBudgets, type ConcurrencyBudgets } from './budgets.ts';
import type { EngineAbort } from './engine-abort.ts';
import type { DynamicFilter } from './filters.ts';
import { runGroup, type GroupRunResult } from './group-runner.ts';
import { failRemainingSlots, RolloutGroup } from './group-state.ts';
import { judgeGroup, type FinishedGroup } from './group-verdict.ts';
import type { GroupGenerateHook, GroupRewardHook, SampleRewardHook } from './hooks.ts';
import { PromptSourceState, type PromptSource } from './prompt-source.ts';
import { RolloutStepError } from './rollout-errors.ts';
import { addToTally } from './sample-tally.ts';
import { emptyReport, failureStatuses, formatCounts, increment, type StepReport } from './step-report.ts';

export type { FinishedGroup } from './group-verdict.ts';

export type GroupSink = (group: FinishedGroup, options: { signal?: AbortSignal }) => void | Promise<void>;

export interface RolloutManagerOptions {
  source: PromptSource;
  nSamplesPerPrompt: number;
  /** Accepted groups per step (slime `rollout_batch_size`). */
  batchSize: number;
  /** Groups submitted per sampling round (default and minimum: batchSize). */
  overSamplingBatchSize?: number;
  generate: GroupGenerateHook;
  rewardSample?: SampleRewardHook;
  rewardGroup?: GroupRewardHook;
  filters?: DynamicFilter[];
  budgets?: ConcurrencyBudgets;
  /** Carry groups cut off at the end of a step into the next one (slime `--partial-rollout`). */
  partialRollout?: boolean;
  /** Loss-mask the response generated under an older policy when a group resumes. */
  maskOffPolicyInPartialRollout?: boolean;
  /** Aborts every request on the engines (see `abortWorkers`); called when a step closes with groups in flight. */
  abortEngines?: EngineAbort;
  /** How long to wait for engine-aborted groups to return their partial output before cancelling them (default 2000 ms). */
  abortGraceMs?: number;
  /** Interval between repeated engine aborts during the grace period (default 100 ms). */
  abortRepeatMs?: number;
  /** `drop` (default): groups with an infrastructure failure do not count; `keep`: accept them, failures marked. */
  failedGroupPolicy?: 'drop' | 'keep';
  /**
   * Give up on a step (throw `RolloutStepError`) once this many groups failed on infrastructure;
   * default max(8, 2 × batchSize). Stops a dead sandbox engine from consuming the dataset.
   */
  maxFailedGroupsPerStep?: number;
  /**
   * Run the prompt of a group dropped for an infrastructure failure again, up to this many times
   * (default 0), so a transient sandbox or engine failure does not cost the prompt its turn.
   */
  retryFailedGroups?: number;
  onGroup: GroupSink;
  /** Receives filtered, failed and (without partial rollout) aborted groups, so nothing is lost. */
  onDiscard?: GroupSink;
}

export const RolloutManagerState = z.object({
  version: z.literal(1),
  source: PromptSourceState,
  nextGroupIndex: z.number().int().nonnegative(),
  carried: z.array(RolloutGroup),
  /** Prompts whose group failed on infrastructure, waiting for another try. */
  retries: z.array(RolloutGroup).default([]),
});
export type RolloutManagerState = z.infer<typeof RolloutManagerState>;

/** How often a group may come back aborted, unasked, within one step before it counts as failed. */
const MAX_UNREQUESTED_ABORTS = 3;

interface InFlight {
  state: RolloutGroup;
  controller: AbortController;
  done: Promise<{ groupIndex: number; result: GroupRunResult }>;
}

export class RolloutManager {
  readonly budgets: ConcurrencyBudgets;
  readonly #options: RolloutManagerOptions & { overSamplingBatchSize: number };
  #nextGroupIndex = 0;
  #carried: RolloutGroup[] = [];
  #retries: RolloutGroup[] = [];
  #lastReport: StepReport | undefined;

  constructor(options: RolloutManagerOptions) {
    const positive = (name: string, value: number): void => {
      if (!Number.isInteger(value) || value < 1) throw new InvalidInputError(`rollout manager: ${name} must be a positive integer, got ${value}`);
    };
    positive('nSamplesPerPrompt', options.nSamplesPerPrompt);
    positive('batchSize', options.batchSize);
    const overSamplingBatchSize = options.overSamplingBatchSize ?? options.batchSize;
    positive('overSamplingBatchSize', overSamplingBatchSize);
    if (overSamplingBatchSize < options.batchSize)
      throw new InvalidInputError(`rollout manager: overSamplingBatchSize (${overSamplingBatchSize}) must be at least batchSize (${options.batchSize})`);
    if (options.rewardSample && options.rewardGroup)
      throw new InvalidInputError('rollout manager: give rewardSample or rewardGroup, not both');
    if (options.maskOffPolicyInPartialRollout && !options.partialRollout)
      throw new InvalidInputError('rollout manager: maskOffPolicyInPartialRollout needs partialRollout');
    this.#options = { ...options, overSamplingBatchSize };
    this.budgets = options.budgets ?? createBudgets();
  }

  /** Groups cut off in earlier steps, waiting to resume (JSON; the Data Buffer may persist them). */
  get carried(): readonly RolloutGroup[] {
    return this.#carried;
  }

  /**
   * The report of the step running now, or of the last one. A step that throws (the caller's
   * abort, `RolloutStepError`) leaves here what it had done, e.g. for a summary after Ctrl-C.
   */
  get lastReport(): StepReport | undefined {
    return this.#lastReport;
  }

  state(): RolloutManagerState {
    return {
      version: 1,
      source: this.#options.source.state(),
      nextGroupIndex: this.#nextGroupIndex,
      carried: structuredClone(this.#carried),
      retries: structuredClone(this.#retries),
    };
  }

  /** Restore `state()` output (e.g. read back from disk); checked against the schema, naming the bad field. */
  restore(state: unknown): void {
    const parsed = RolloutManagerState.parse(state);
    this.#options.source.restore(parsed.source);
    this.#nextGroupIndex = parsed.nextGroupIndex;
    this.#carried = parsed.carried;
    this.#retries = parsed.retries;
  }

  /** Run one rollout step. Throws `AbortedError` if `signal` fires (carrying in-flight groups when partial). */
  async step(step: number, options: { signal?: AbortSignal } = {}): Promise<StepReport> {
    const o = this.#options;
    const started = performance.now();
    const report = emptyReport(step, o.batchSize, o.failedGroupPolicy ?? 'drop');
    this.#lastReport = report;
    const inFlight = new Map<number, InFlight>();
    const reserve: FinishedGroup[] = [];
    const selfAborts = new Map<number, number>();
    const maxFailed = o.maxFailedGroupsPerStep ?? Math.max(8, 2 * o.batchSize);
    let failedGroups = 0;
    let accepted = 0;
    const accept = (group: FinishedGroup): void | Promise<void> => this.#handOut(o.onGroup, group, report, options.signal);
    const discard = (group: FinishedGroup): void | Promise<void> => this.#handOut(o.onDiscard, group, report, options.signal);

    const start = (state: RolloutGroup): void => {
      const controller = new AbortController();
      const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
      const done = runGroup(state, {
        n: o.nSamplesPerPrompt,
        step,
        generate: o.generate,
        rewardSample: o.rewardSample,
        rewardGroup: o.rewardGroup,
        budgets: this.budgets,
        maskOffPolicy: o.maskOffPolicyInPartialRollout ?? false,
        signal,
      })
        .catch((error: unknown) => ({ state: failRemainingSlots(state, error, 'env_error'), complete: true, offPolicyMaskedTokens: 0 }))
        .then((result) => ({ groupIndex: state.groupIndex, result }));
      inFlight.set(state.groupIndex, { state, controller, done });
    };

    try {
      while (accepted < o.batchSize) {
        throwIfAborted(options.signal);
        // Submit another round while accepted + in flight cannot fill the step (slime's remaining_batch_size).
        while (accepted + inFlight.size < o.batchSize) {
          const held = reserve.shift();
          if (held) {
            const { reason: _dropReason, ...kept } = held;
            await accept({ ...kept, outcome: 'accepted' });
            accepted++;
            report.keptWhenInsufficient++;
            for (const sample of kept.samples) increment(report.statuses, sample.status);
            continue;
          }
          const round = this.#nextRound(step, report);
          if (round.length === 0) break;
          round.forEach(start);
        }
        if (accepted >= o.batchSize || inFlight.size === 0) break;
        const { groupIndex, result } = await Promise.race([...inFlight.values()].map((entry) => entry.done));
        // The caller aborted: leave the group in flight so closing the step carries it.
        if (options.signal?.aborted) break;
        inFlight.delete(groupIndex);
        report.offPolicyMaskedTokens += result.offPolicyMaskedTokens;
        let finished = result.state;
        if (!result.complete) {
          // A slot came back aborted without our abort (e.g. an engine paused with mode=abort for a
          // weight update): resume it at once rather than lose it, a few times at most.
          const restarts = (selfAborts.get(groupIndex) ?? 0) + 1;
          selfAborts.set(groupIndex, restarts);
          if (restarts <= MAX_UNREQUESTED_ABORTS) {
            start({ ...result.state, resumes: result.state.resumes + 1 });
            continue;
          }
          finished = failRemainingSlots(result.state, new Error(`aborted ${restarts} times without the manager asking`), 'model_error');
        }
        const { group: verdict, keepWhenInsufficient } = await judgeGroup(finished, { step, filters: o.filters ?? [], report });
        if (failureStatuses(verdict.samples).length > 0) failedGroups++;
        if (failedGroups > maxFailed) {
          await discard(verdict);
          throw new RolloutStepError(
            `rollout step ${step}: ${failedGroups} groups failed on infrastructure (limit ${maxFailed}): ${formatCounts(report.failedGroups)}`,
            report,
          );
        }
        if (verdict.outcome === 'accepted') {
          await accept(verdict);
          accepted++;
          for (const sample of verdict.samples) increment(report.statuses, sample.status);
        } else if (verdict.outcome === 'filtered' && keepWhenInsufficient) {
          reserve.push(verdict);
        } else {
          if (verdict.outcome === 'filtered') increment(report.dropped, verdict.reason ?? 'filtered');
          if (verdict.outcome === 'failed' && finished.attempt < (o.retryFailedGroups ?? 0)) this.#queueRetry(finished);
          await discard(verdict);
        }
      }
      report.exhausted = accepted < o.batchSize && o.source.exhausted && this.#carried.length === 0 && this.#retries.length === 0;
    } finally {
      await this.#closeStep(inFlight, step, report, options.signal);
      for (const held of reserve) {
        increment(report.dropped, held.reason ?? 'filtered');
        await discard(held);
      }
      report.accepted = accepted;
      report.seconds = (performance.now() - started) / 1000;
    }
    if (options.signal?.aborted) throw new AbortedError(`rollout step ${step} aborted`, { cause: options.signal.reason });
    return report;
  }

  /** Every group leaves a step through here, so the report counts each sample handed out once. */
  async #handOut(sink: GroupSink | undefined, group: FinishedGroup, report: StepReport, signal: AbortSignal | undefined): Promise<void> {
    for (const sample of group.samples) addToTally(report.samples, sample);
    await sink?.(group, { signal });
  }

  /** The next over-sampling round: carried groups first (slime pops its buffer first), then retries, then fresh prompts. */
  #nextRound(step: number, report: StepReport): RolloutGroup[] {
    const want = this.#options.overSamplingBatchSize;
    const round = this.#carried.splice(0, want).map((state) => ({ ...state, resumes: state.resumes + 1 }));
    report.resumed += round.length;
    for (const retry of this.#retries.splice(0, want - round.length)) {
      report.retried++;
      round.push({ ...retry, groupIndex: this.#nextGroupIndex++, startStep: step });
    }
    for (const drawn of this.#options.source.take(want - round.length)) {
      report.started++;
      round.push({
        groupIndex: this.#nextGroupIndex++,
        prompt: drawn.record,
        epoch: drawn.epoch,
        datasetIndex: drawn.datasetIndex,
        startStep: step,
        resumes: 0,
        attempt: 0,
        slots: Array.from({ length: this.#options.nSamplesPerPrompt }, (_, slot) => ({ slot, samples: [], done: false })),
      });
    }
    return round;
  }

  /** Run a failed group's prompt again later, as a fresh group (its failed samples went to onDiscard). */
  #queueRetry(failed: RolloutGroup): void {
    this.#retries.push({
      ...failed,
      resumes: 0,
      attempt: failed.attempt + 1,
      slots: failed.slots.map((slot) => ({ slot: slot.slot, samples: [], done: false })),
    });
  }

  /**
   * Abort what is still running, wait for it, and carry or discard it. Engines first, as slime
   * does: an engine-side abort ends each request with its partial output (which resume continues
   * from), while cancelling our side of the HTTP call would lose it. The abort is repeated until
   * the groups settle, to catch turns started in between; past the grace period the episode
   * signals fire as well.
   */
  async #closeStep(inFlight: Map<number, InFlight>, step: number, report: StepReport, signal?: AbortSignal): Promise<void> {
    if (inFlight.size === 0) return;
    const entries = [...inFlight.values()];
    const settled = Promise.all(entries.map((entry) => entry.done));
    const abortEngines = this.#options.abortEngines;
    if (abortEngines && !signal?.aborted) {
      let finished = false;
      void settled.then(() => (finished = true));
      const deadline = performance.now() + (this.#options.abortGraceMs ?? 2_000);
      while (!finished && performance.now() < deadline) {
        try {
          await abortEngines({});
        } catch (error) {
          report.engineAbortError = (error as Error)?.message ?? String(error);
          break;
        }
        await Promise.race([settled, sleep(this.#options.abortRepeatMs ?? 100)]);
      }
    }
    for (const entry of entries) entry.controller.abort(new AbortedError(`rollout step ${step} has enough groups`));
    const results = await settled;
    for (const { result } of results) {
      report.offPolicyMaskedTokens += result.offPolicyMaskedTokens;
      const samples = result.state.slots.flatMap((slot) => slot.samples);
      report.aborted.groups++;
      report.aborted.samples += samples.length;
      if (this.#options.partialRollout) {
        for (const sample of samples) sample.metadata.startRolloutStep ??= result.state.startStep;
        this.#carried.push(result.state);
        report.carried++;
      } else {
        await this.#handOut(
          this.#options.onDiscard,
          { groupIndex: result.state.groupIndex, prompt: result.state.prompt, step, startStep: result.state.startStep, samples, outcome: 'aborted', reason: signal?.aborted ? 'step aborted' : 'step full' },
          report,
          signal,
        );
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
