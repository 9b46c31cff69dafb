import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataBuffer } from '../../src/buffer/data-buffer.ts';
import { dumpStep, ingestStepDump, loadStepDump, rescore } from '../../src/buffer/debug.ts';
import { buildTrainerBatch } from '../../src/buffer/pack.ts';
import { exportSlimeRollout, slimeStatus } from '../../src/buffer/slime-export.ts';
import { encodeTrainerBatch } from '../../src/buffer/wire.ts';
import { makeGroup, makeSample } from './make-sample.ts';

const dir = () => mkdtempSync(path.join(tmpdir(), 'physarum-debug-'));
const buffers: DataBuffer[] = [];
function open(options = {}) {
  const b = DataBuffer.open(':memory:', { normalization: 'dr_grpo', ...options });
  buffers.push(b);
  return b;
}
afterEach(async () => {
  await Promise.all(buffers.splice(0).map((b) => b.close()));
});

async function bufferWithStep() {
  const buffer = open();
  const g1 = makeGroup(1, [1, 0, null], 10, { promptTokens: 5, responseTokens: 6 });
  g1[2] = { ...g1[2]!, status: 'sandbox_error' };
  await buffer.ingest(g1);
  await buffer.ingest(makeGroup(2, [3, 1], 20, { prompt: [{ role: 'user', content: 'hi' }] }));
  const taken = await buffer.takeBatch({ step: 4, groups: 2 });
  return { buffer, taken };
}

describe('step dumps', () => {
  it('dump then load gives the same training input, and the same trainer batch bytes', async () => {
    const { buffer, taken } = await bufferWithStep();
    const file = path.join(dir(), 'step-4.json');
    const dump = dumpStep(buffer, 4, file);
    expect(dump.samples).toHaveLength(5);
    const loaded = loadStepDump(file);
    expect(loaded.step).toBe(4);
    expect(loaded.samples.map((s) => [s.sample, s.advantage])).toEqual(taken.samples.map((s) => [s.sample, s.advantage]));
    expect(loaded.excluded.map((s) => [s.sample.status, s.excluded])).toEqual([['sandbox_error', 'infrastructure']]);
    const options = { maxTokensPerGpu: 32, dpSize: 2, step: 4 };
    expect(Buffer.from(encodeTrainerBatch(buildTrainerBatch(loaded.samples, options))).equals(Buffer.from(encodeTrainerBatch(buildTrainerBatch(taken.samples, options))))).toBe(true);
  });

  it('refuses a step never taken and a file that is not a dump', async () => {
    const { buffer } = await bufferWithStep();
    expect(() => dumpStep(buffer, 99, path.join(dir(), 'x.json'))).toThrow(/step 99 has not been taken/);
    const bad = path.join(dir(), 'bad.json');
    writeFileSync(bad, '{"format":"other"}');
    expect(() => loadStepDump(bad)).toThrow(/is not a physarum step dump/);
    expect(() => loadStepDump(path.join(dir(), 'missing.json'))).toThrow(/cannot read step dump/);
  });

  it('a dump re-ingested into a fresh buffer trains to the same advantages', async () => {
    const { buffer, taken } = await bufferWithStep();
    const file = path.join(dir(), 'step-4.json');
    dumpStep(buffer, 4, file);
    const fresh = open();
    const acks = await ingestStepDump(fresh, file);
    expect(acks.map((a) => a.samples)).toEqual([3, 2]);
    const again = await fresh.takeBatch({ step: 0, groups: 2 });
    expect(again.samples.map((s) => s.advantage)).toEqual(taken.samples.map((s) => s.advantage));
  });
});

describe('rescore', () => {
  it('replaces rewards with a changed rubric; the step replays with new advantages; failures become verifier_error', async () => {
    const { buffer } = await bufferWithStep();
    // New rubric: reward = response length; it throws for one sample.
    const report = await rescore(
      buffer,
      (s) => {
        if (s.rolloutId === 'r21') throw new Error('judge unavailable');
        return { reward: s.index, rewards: { index: s.index } };
      },
      { step: 4 },
    );
    expect(report).toEqual({ rescored: 3, failed: 1, skipped: 1 });
    const replay = buffer.stepBatch(4);
    // group 1: rewards 10, 11 -> -0.5, 0.5; group 2: r20 alone (r21 failed) -> 0
    expect(replay.samples.map((s) => [s.sample.rolloutId, s.advantage])).toEqual([
      ['r10', -0.5],
      ['r11', 0.5],
      ['r20', 0],
    ]);
    const failed = replay.excluded.find((s) => s.sample.rolloutId === 'r21')!;
    expect(failed.sample).toMatchObject({ status: 'verifier_error', reward: null, statusReason: 're-scoring failed: judge unavailable' });
    expect(buffer.counters()).toMatchObject({ rescored_samples: 4 });
  });

  it('re-scores ready groups by default, a plain number rubric included', async () => {
    const buffer = open();
    await buffer.ingest(makeGroup(1, [0, 0]));
    expect(await rescore(buffer, (s) => (s.index % 2 ? 2 : 0))).toEqual({ rescored: 2, failed: 0, skipped: 0 });
    expect((await buffer.takeBatch({ step: 0, groups: 1 })).samples.map((s) => s.advantage)).toEqual([-1, 1]);
    expect(await rescore(buffer, () => NaN, { state: 'consumed' })).toMatchObject({ failed: 2 });
  });
});

describe('slime export', () => {
  // slime/utils/types.py Sample fields (plus rollout_id), as Sample.to_dict() writes them.
  const SLIME_FIELDS = [
    'group_index', 'index', 'prompt', 'tokens', 'multimodal_inputs', 'multimodal_train_inputs', 'response', 'response_length', 'label',
    'reward', 'loss_mask', 'weight_versions', 'rollout_log_probs', 'rollout_routed_experts', 'remove_sample', 'teacher_log_probs',
    'status', 'metadata', 'generate_function_path', 'train_metadata', 'session_id', 'non_generation_time', 'spec_info',
    'prefix_cache_info', 'rollout_id',
  ].sort();

  it('writes {rollout_id, samples} with slime field names, statuses and integer rollout ids', async () => {
    const { buffer, taken } = await bufferWithStep();
    const file = path.join(dir(), 'rollout_4.json');
    exportSlimeRollout(buffer, 4, file);
    const out = JSON.parse(readFileSync(file, 'utf8'));
    expect(out.rollout_id).toBe(4);
    expect(out.samples).toHaveLength(4);
    for (const s of out.samples) expect(Object.keys(s).sort()).toEqual(SLIME_FIELDS);
    const first = out.samples[0];
    expect(first).toMatchObject({ group_index: 1, index: 10, status: 'completed', remove_sample: false, reward: 0.5, response_length: 6 });
    expect(first.metadata).toMatchObject({ raw_reward: 1, physarum: { rolloutId: 'r10', advantage: 0.5 } });
    expect(first.tokens).toEqual(taken.samples[0]!.sample.tokens);
    expect(out.samples.map((s: { rollout_id: number }) => s.rollout_id)).toEqual([0, 1, 2, 3]);
    expect(out.samples[2].prompt).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('raw rewards, excluded samples with remove_sample, and the status mapping', async () => {
    const { buffer } = await bufferWithStep();
    const out = exportSlimeRollout(buffer, 4, path.join(dir(), 'r.json'), { reward: 'raw', include: 'all' });
    expect(out.samples.map((s) => [s.reward, s.remove_sample, s.status])).toEqual([
      [1, false, 'completed'],
      [0, false, 'completed'],
      [null, true, 'failed'],
      [3, false, 'completed'],
      [1, false, 'completed'],
    ]);
    expect(['completed', 'truncated', 'aborted', 'tool_timeout', 'env_error'].map((s) => slimeStatus(s as never))).toEqual(['completed', 'truncated', 'aborted', 'failed', 'failed']);
  });

  it('forks of one rollout share the slime rollout_id', async () => {
    const buffer = open();
    await buffer.ingest([makeSample(1, { rolloutId: 'ep', forkIndex: 0 }), makeSample(2, { rolloutId: 'ep', forkIndex: 1 }), makeSample(3, { rolloutId: 'other', reward: 0 })]);
    await buffer.takeBatch({ step: 0, groups: 1 });
    const out = exportSlimeRollout(buffer, 0, path.join(dir(), 'f.json'));
    expect(out.samples.map((s) => s.rollout_id)).toEqual([0, 0, 1]);
  });
});

describe('env rubric adapter', () => {
  it('re-scores with an env rubric: weighted rewards, metrics, and a throwing function becomes verifier_error', async () => {
    const { rubric } = await import('../../src/env/rubric.ts');
    const { sampleRubricFromEnv } = await import('../../src/buffer/env-rubric.ts');
    const buffer = open();
    await buffer.ingest([
      makeSample(1, { response: 'answer: 42', label: '42', reward: 0 }),
      makeSample(2, { response: 'answer: 41', label: '42', reward: 0 }),
      makeSample(3, { response: 'boom', label: '42', reward: 0 }),
    ]);
    const r = rubric<{ label: string }>({
      rewards: {
        correct: { weight: 2, fn: (ctx) => ctx.completion.endsWith(ctx.task.label) },
        sane: (ctx) => {
          if (ctx.completion === 'boom') throw new Error('cannot parse');
          return ctx.messages.at(-1)?.role === 'assistant' && ctx.role === 'policy';
        },
      },
      metrics: { length: (ctx) => ctx.completion.length },
    });
    const report = await rescore(buffer, sampleRubricFromEnv(r, { task: (s) => ({ label: String(s.label) }) }));
    expect(report).toEqual({ rescored: 2, failed: 1, skipped: 0 });
    const [group] = buffer.groups();
    expect(group!.samples.map((s) => [s.sample.reward, s.sample.rewards, s.sample.status])).toEqual([
      [3, { correct: 1, sane: 1, length: 10 }, 'completed'],
      [1, { correct: 0, sane: 1, length: 10 }, 'completed'],
      [null, {}, 'verifier_error'],
    ]);
    expect(group!.samples[2]!.sample.statusReason).toMatch(/reward 'sane' threw: cannot parse/);
  });
});
