/**
 * Runs one group through generation and reward: asks the generate hook for the unfinished slots,
 * checks what comes back, merges it into the group state, masks the stale part of resumed
 * samples when asked, then scores the finished group. Hook failures become typed failure
 * samples here; nothing in this file turns a failure into a reward.
 */
import { statusForError } from '../protocol/failure-status.ts';
import { EnvError, VerifierError } from '../env/errors.ts';
import { TRAINABLE_STATUSES, type Sample } from '../protocol/sample.ts';
import type { ConcurrencyBudgets } from './budgets.ts';
import { errorMessage, failureSample, rolloutIdFor, sampleIndex, type RolloutGroup, type RolloutSlot } from './group-state.ts';
import type { GroupGenerateHook, GroupRewardHook, RolloutRewardContext, RewardValue, SampleRewardHook, SlotOutcome, SlotRequest } from './hooks.ts';
import { maskStalePrefix } from './off-policy-mask.ts';
import { checkSample } from '../protocol/sample-check.ts';

export interface GroupRunOptions {
  n: number;
  step: number;
  generate: GroupGenerateHook;
  rewardSample?: SampleRewardHook;
  rewardGroup?: GroupRewardHook;
  budgets: ConcurrencyBudgets;
  maskOffPolicy: boolean;
  signal: AbortSignal;
}

export interface GroupRunResult {
  state: RolloutGroup;
  /** Every slot finished (no `aborted` sample left). */
  complete: boolean;
  offPolicyMaskedTokens: number;
}

export async function runGroup(state: RolloutGroup, options: GroupRunOptions): Promise<GroupRunResult> {
  const pending = state.slots.filter((slot) => !slot.done);
  const requests: SlotRequest[] = pending.map((slot) => ({
    slot: slot.slot,
    index: sampleIndex(state.groupIndex, slot.slot, options.n),
    rolloutId: rolloutIdFor(state.groupIndex, slot.slot),
    ...(slot.samples.length > 0 || slot.snapshot !== undefined ? { resume: { samples: slot.samples, snapshot: slot.snapshot } } : {}),
  }));
  const outcomes = await generateSlots(state, requests, options);
  let masked = 0;
  const slots: RolloutSlot[] = state.slots.map((slot) => {
    const outcome = outcomes.get(slot.slot);
    if (slot.done || !outcome) return slot;
    let samples = outcome.samples;
    if (options.maskOffPolicy && slot.samples.length > 0) {
      const result = maskStalePrefix(slot.samples, samples);
      samples = result.samples;
      masked += result.maskedTokens;
    }
    const done = samples.length > 0 && samples.every((s) => s.status !== 'aborted');
    return { slot: slot.slot, samples, done, ...(done || outcome.snapshot === undefined ? {} : { snapshot: outcome.snapshot }) };
  });
  const complete = slots.every((slot) => slot.done);
  const next: RolloutGroup = { ...state, slots };
  // A group that finished while its step was closing was scored then; resuming it scores nothing new.
  if (complete && pending.length > 0) await scoreGroupSamples(next, options);
  return { state: next, complete, offPolicyMaskedTokens: masked };
}

/** Call the hook and check its answer slot by slot; a broken answer fails only its slot. */
async function generateSlots(state: RolloutGroup, requests: SlotRequest[], options: GroupRunOptions): Promise<Map<number, SlotOutcome>> {
  const outcomes = new Map<number, SlotOutcome>();
  if (requests.length === 0) return outcomes;
  const fail = (request: SlotRequest, error: unknown, status = statusForError(error)): SlotOutcome => ({
    slot: request.slot,
    samples: [failureSample({ prompt: state.prompt, groupIndex: state.groupIndex, index: request.index, rolloutId: request.rolloutId, status, reason: errorMessage(error) })],
  });
  let answer: SlotOutcome[];
  try {
    answer = await options.generate({
      prompt: state.prompt,
      groupIndex: state.groupIndex,
      step: options.step,
      signal: options.signal,
      budgets: options.budgets,
      n: options.n,
      slots: requests,
    });
  } catch (error) {
    for (const request of requests) {
      // Thrown during our abort: keep what the slot had, so it resumes (or restarts) next time.
      outcomes.set(request.slot, options.signal.aborted ? keepForResume(request) : fail(request, error));
    }
    return outcomes;
  }
  const bySlot = new Map((Array.isArray(answer) ? answer : []).map((outcome) => [outcome?.slot, outcome]));
  for (const request of requests) {
    const outcome = bySlot.get(request.slot);
    if (!outcome || !Array.isArray(outcome.samples) || outcome.samples.length === 0) {
      outcomes.set(request.slot, fail(request, new Error(`generate returned no samples for slot ${request.slot} of group ${state.groupIndex}`), 'env_error'));
      continue;
    }
    const parsed: Sample[] = [];
    let problem: string | undefined;
    for (const [i, sample] of outcome.samples.entries()) {
      const result = checkSample(sample);
      if (!result.ok) problem = `sample ${i}: ${result.problem}`;
      else if (result.sample.groupIndex !== state.groupIndex) problem = `sample ${i} has groupIndex ${result.sample.groupIndex}, expected ${state.groupIndex}`;
      else parsed.push(result.sample);
      if (problem) break;
    }
    outcomes.set(
      request.slot,
      problem ? fail(request, new EnvError(`generate returned an invalid sample for slot ${request.slot}: ${problem}`), 'env_error') : { slot: request.slot, samples: parsed, snapshot: outcome.snapshot },
    );
  }
  return outcomes;
}

function keepForResume(request: SlotRequest): SlotOutcome {
  return { slot: request.slot, samples: request.resume?.samples ?? [], snapshot: request.resume?.snapshot };
}

/** Apply the reward hook(s) to the trainable samples; with no hook, the generator must have scored. */
async function scoreGroupSamples(state: RolloutGroup, options: GroupRunOptions): Promise<void> {
  const all = state.slots.flatMap((slot) => slot.samples);
  const eligible = all.filter((s) => TRAINABLE_STATUSES.has(s.status));
  const context: RolloutRewardContext = { prompt: state.prompt, groupIndex: state.groupIndex, step: options.step, signal: options.signal };
  const markFailed = (sample: Sample, reason: string): void => {
    sample.status = 'verifier_error';
    sample.statusReason = reason;
    sample.reward = null;
  };
  if (options.rewardGroup && eligible.length > 0) {
    try {
      const values = await options.budgets.verify(() => options.rewardGroup!(eligible, context));
      if (!Array.isArray(values) || values.length !== eligible.length)
        throw new VerifierError('group reward', `group reward returned ${Array.isArray(values) ? values.length : typeof values} values for ${eligible.length} samples`);
      eligible.forEach((sample, i) => applyReward(sample, values[i]!));
    } catch (error) {
      for (const sample of eligible) markFailed(sample, `group reward: ${errorMessage(error)}`);
    }
  } else if (options.rewardSample) {
    await Promise.all(
      eligible.map(async (sample) => {
        try {
          applyReward(sample, await options.budgets.verify(() => options.rewardSample!(sample, context)));
        } catch (error) {
          markFailed(sample, `reward: ${errorMessage(error)}`);
        }
      }),
    );
  }
  for (const sample of eligible) {
    if (sample.status !== 'verifier_error' && sample.reward === null)
      markFailed(sample, 'no reward: the generate hook left reward null and no reward hook is set');
  }
}

function applyReward(sample: Sample, value: RewardValue): void {
  const reward = typeof value === 'number' ? value : value?.reward;
  if (typeof reward !== 'number' || !Number.isFinite(reward)) throw new VerifierError('reward', `reward is ${JSON.stringify(value)}, not a finite number`);
  sample.reward = reward;
  if (typeof value === 'object') sample.rewards = { ...sample.rewards, ...value.rewards };
}
