/**
 * Export a step in slime's debug-rollout form: `{ rollout_id, samples: [Sample.to_dict()] }`, as
 * `--load-debug-rollout-data` reads it (after `torch.save`; see docs/debugging.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../protocol/errors.ts';
import type { ChatMessageRecord, SampleStatus } from '../protocol/sample.ts';
import type { DataBuffer } from './data-buffer.ts';
import type { TrainSample } from './rows.ts';

/** slime's Sample.Status values. Policy outcomes map one to one; the rest are FAILED. */
export function slimeStatus(status: SampleStatus): 'completed' | 'truncated' | 'aborted' | 'failed' {
  return status === 'completed' || status === 'truncated' || status === 'aborted' ? status : 'failed';
}

export interface SlimeExportOptions {
  /**
   * 'advantage' (default): `reward` is physarum's status-aware normalized advantage; train with
   * slime's --disable-rewards-normalization so it is used as is. 'raw': the rubric reward, for
   * slime to normalize (groups with excluded samples are then smaller than n_samples_per_prompt).
   */
  reward?: 'advantage' | 'raw';
  /** 'trainable' (default) exports samples with an advantage; 'all' adds excluded ones with remove_sample. */
  include?: 'trainable' | 'all';
}

function slimeMessage(m: ChatMessageRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { role: m.role, content: m.content };
  if (m.reasoningContent !== undefined) out.reasoning_content = m.reasoningContent;
  if (m.toolCalls) out.tool_calls = m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } }));
  if (m.toolCallId !== undefined) out.tool_call_id = m.toolCallId;
  if (m.name !== undefined) out.name = m.name;
  return out;
}

/** One sample as slime's `Sample.to_dict()`; `rolloutNumber` is the integer rollout id slime groups by. */
export function toSlimeSample(t: Pick<TrainSample, 'sample' | 'advantage' | 'excluded'>, rolloutNumber: number, options: SlimeExportOptions = {}): Record<string, unknown> {
  const s = t.sample;
  const reward = t.advantage === null ? null : options.reward === 'raw' ? s.reward : t.advantage;
  return {
    group_index: s.groupIndex,
    index: s.index,
    prompt: typeof s.prompt === 'string' ? s.prompt : s.prompt.map(slimeMessage),
    tokens: s.tokens,
    multimodal_inputs: null,
    multimodal_train_inputs: null,
    response: s.response,
    response_length: s.responseLength,
    label: s.label === undefined ? null : s.label,
    reward,
    loss_mask: s.lossMask,
    weight_versions: s.weightVersions,
    rollout_log_probs: s.rolloutLogProbs,
    rollout_routed_experts: null,
    remove_sample: t.advantage === null,
    teacher_log_probs: null,
    status: slimeStatus(s.status),
    metadata: {
      ...s.metadata,
      raw_reward: s.reward,
      physarum: { rolloutId: s.rolloutId, forkIndex: s.forkIndex, agent: s.agent, status: s.status, statusReason: s.statusReason ?? null, rewards: s.rewards, advantage: t.advantage, excluded: t.excluded, spans: s.spans, turns: s.turns },
    },
    generate_function_path: null,
    train_metadata: null,
    session_id: null,
    non_generation_time: 0,
    spec_info: { spec_accept_token_num: 0, spec_draft_token_num: 0, spec_verify_ct: 0, completion_token_num: 0 },
    prefix_cache_info: { cached_tokens: 0, total_prompt_tokens: 0 },
    rollout_id: rolloutNumber,
  };
}

/** Write a taken step as slime debug-rollout JSON; returns the object written. */
export function exportSlimeRollout(buffer: DataBuffer, step: number, file: string, options: SlimeExportOptions = {}): { rollout_id: number; samples: Array<Record<string, unknown>> } {
  const batch = buffer.stepBatch(step);
  if (batch.groups.length === 0) throw new InvalidInputError(`step ${step} has not been taken from buffer ${buffer.file}: nothing to export`);
  const chosen = batch.groups.flatMap((g) => g.samples).filter((t) => options.include === 'all' || t.advantage !== null);
  // slime groups fan-out siblings by an equal rollout_id; physarum's ids are strings, so number them.
  const numbers = new Map<string, number>();
  const samples = chosen.map((t) => {
    if (!numbers.has(t.sample.rolloutId)) numbers.set(t.sample.rolloutId, numbers.size);
    return toSlimeSample(t, numbers.get(t.sample.rolloutId)!, options);
  });
  const out = { rollout_id: step, samples };
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, `${JSON.stringify(out)}\n`);
  return out;
}
