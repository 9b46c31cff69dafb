import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataBuffer, type DataBufferOptions } from '../../src/buffer/data-buffer.ts';
import { Sample } from '../../src/protocol/sample.ts';
import { makeGroup, makeSample } from './make-sample.ts';

const open: DataBuffer[] = [];
function freshBuffer(options: DataBufferOptions = {}, file = path.join(mkdtempSync(path.join(tmpdir(), 'physarum-buffer-')), 'b.sqlite')) {
  const buffer = DataBuffer.open(file, options);
  open.push(buffer);
  return buffer;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

describe('DataBuffer ingest', () => {
  it('stores a group and gives every sample back field for field', async () => {
    const buffer = freshBuffer();
    const group = makeGroup(7, [1, 0], 70, { promptTokens: 300, responseTokens: 200, metadata: { task: 'x' } });
    const ack = await buffer.ingest(group);
    expect(ack).toMatchObject({ state: 'ready', samples: 2, duplicate: false, resumed: false });
    const [stored] = buffer.groups();
    expect(stored!.samples.map((s) => s.sample)).toEqual(group.map((s) => Sample.parse(s)));
  });

  it('acknowledges a retried group as a duplicate and stores it once', async () => {
    const buffer = freshBuffer();
    const first = await buffer.ingest(makeGroup(1, [1, 0]));
    const again = await buffer.ingest(makeGroup(1, [1, 0]));
    expect(again).toMatchObject({ groupId: first.groupId, duplicate: true });
    expect(buffer.groups()).toHaveLength(1);
    expect(buffer.counters()).toMatchObject({ duplicate_groups: 1, ingested_samples: 2 });
  });

  it('rejects bad input with an error naming the sample and field, and stores nothing', async () => {
    const buffer = freshBuffer();
    const bad = makeGroup(1, [1, 0]);
    bad[1] = { ...bad[1]!, tokens: [...bad[1]!.tokens.slice(0, 3), -4, ...bad[1]!.tokens.slice(4)] };
    await expect(buffer.ingest(bad)).rejects.toMatchObject({ code: 'PHYSARUM_INVALID_INPUT', message: expect.stringMatching(/sample 1 \(rolloutId "r101"\): tokens\[3\] is -4/) });
    const short = { ...makeSample(5), lossMask: [1] };
    await expect(buffer.ingest(short as never)).rejects.toThrow(/lossMask has 1 entries, responseLength is 4/);
    await expect(buffer.ingest({ ...makeSample(6), status: 'exploded' } as never)).rejects.toThrow(/status/);
    await expect(buffer.ingest([makeSample(8, { groupIndex: 1 }), makeSample(9, { groupIndex: 2 })])).rejects.toThrow(/share one groupIndex/);
    await expect(buffer.ingest([])).rejects.toThrow(/at least one sample/);
    expect(buffer.groups()).toHaveLength(0);
  });

  it('a rollout id stored in another group fails that group alone', async () => {
    const buffer = freshBuffer();
    await buffer.ingest(makeGroup(1, [1], 10));
    const results = await Promise.allSettled([buffer.ingest(makeGroup(2, [1], 10)), buffer.ingest(makeGroup(3, [1], 30))]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/rolloutId r10 .* already stored/) } });
    expect(results[1]).toMatchObject({ status: 'fulfilled' });
    expect(buffer.groups().map((g) => g.groupIndex)).toEqual([1, 3]);
  });

  it('commits the dataset cursor with the group, and on its own', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'physarum-buffer-')), 'c.sqlite');
    const buffer = freshBuffer({}, file);
    expect(buffer.cursor()).toBeUndefined();
    await buffer.ingest(makeGroup(1, [1]), { cursor: { epoch: 0, offset: 2 } });
    expect(buffer.cursor()).toEqual({ epoch: 0, offset: 2 });
    await buffer.checkpoint({ cursor: { epoch: 1, offset: 0 } });
    await buffer.close();
    const reopened = freshBuffer({}, file);
    expect(reopened.cursor()).toEqual({ epoch: 1, offset: 0 });
    expect(reopened.groups()).toHaveLength(1);
  });

  it('refuses work after close and honours an aborted signal', async () => {
    const buffer = freshBuffer();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(buffer.ingest(makeGroup(1, [1]), { signal: controller.signal })).rejects.toMatchObject({ code: 'PHYSARUM_ABORTED' });
    await buffer.close();
    await buffer.close();
    await expect(buffer.ingest(makeGroup(1, [1]))).rejects.toMatchObject({ code: 'PHYSARUM_BUFFER' });
  });
});

describe('DataBuffer takeBatch', () => {
  it('takes ready groups oldest first, with advantages, and marks them consumed', async () => {
    const buffer = freshBuffer({ normalization: 'dr_grpo' });
    await buffer.ingest(makeGroup(1, [1, 0]));
    await buffer.ingest(makeGroup(2, [3, 1]));
    await buffer.ingest(makeGroup(3, [1, 1]));
    const batch = await buffer.takeBatch({ step: 0, groups: 2 });
    expect(batch.groups.map((g) => g.groupIndex)).toEqual([1, 2]);
    expect(batch.samples.map((s) => s.advantage)).toEqual([0.5, -0.5, 1, -1]);
    expect(buffer.groupCounts()).toMatchObject({ ready: 1, consumed: 2 });
    const next = await buffer.takeBatch({ step: 1, groups: 2 });
    expect(next.groups.map((g) => g.groupIndex)).toEqual([3]);
    expect((await buffer.takeBatch({ step: 2, groups: 2 })).groups).toEqual([]);
  });

  it('taking the same step again returns the same groups (resume after a crash)', async () => {
    const buffer = freshBuffer();
    await buffer.ingest(makeGroup(1, [1, 0]));
    await buffer.ingest(makeGroup(2, [1, 0]));
    const first = await buffer.takeBatch({ step: 5, groups: 1 });
    const again = await buffer.takeBatch({ step: 5, groups: 1 });
    expect(again.replayed).toBe(true);
    expect(again.samples).toEqual(first.samples);
    expect(buffer.groupCounts()).toMatchObject({ ready: 1, consumed: 1 });
  });

  it('excludes and counts infrastructure failures; filters drop groups and the take looks further', async () => {
    const buffer = freshBuffer({ normalization: 'grpo', filters: { dropZeroStd: true } });
    const failing = makeGroup(1, [1, null, 0]);
    failing[1] = { ...failing[1]!, status: 'model_error', statusReason: 'engine 500' };
    await buffer.ingest(failing);
    await buffer.ingest(makeGroup(2, [1, 1, 1]));
    await buffer.ingest(makeGroup(3, [0, 1]));
    const batch = await buffer.takeBatch({ step: 0, groups: 2 });
    expect(batch.groups.map((g) => g.groupIndex)).toEqual([1, 3]);
    expect(batch.excluded.map((s) => [s.sample.status, s.excluded, s.advantage])).toEqual([['model_error', 'infrastructure', null]]);
    expect(batch.counts).toEqual({ excluded_infrastructure: 1, dropped_zero_std: 1, consumed_groups: 2, trained_samples: 4 });
    expect(buffer.counters()).toMatchObject({ status_model_error: 1, dropped_zero_std: 1, trained_samples: 4 });
    expect(buffer.groups({ state: 'dropped' })[0]).toMatchObject({ groupIndex: 2, dropReason: 'zero_std' });
  });

  it('REINFORCE++-baseline centres per group, then whitens over the batch by tokens', async () => {
    const buffer = freshBuffer({ normalization: 'reinforce_pp_baseline' });
    await buffer.ingest(makeGroup(1, [2, 0], 10, { responseTokens: 3 })); // masks 1,1,0 -> 2 tokens each
    const batch = await buffer.takeBatch({ step: 0, groups: 1 });
    // centred 1, -1 with equal weights: mean 0, var 1 -> 1/sqrt(1 + 1e-8)
    expect(batch.samples.map((s) => s.advantage!.toFixed(6))).toEqual(['1.000000', '-1.000000']);
  });
});

describe('staleness', () => {
  const versions = (v: string[]) => ({ weightVersions: v });

  it('drops samples older than maxWeightLag and counts them', async () => {
    const buffer = freshBuffer({ normalization: 'dr_grpo', maxWeightLag: 2 });
    await buffer.ingest([
      makeSample(1, { reward: 1, ...versions(['8', '9']) }),
      makeSample(2, { reward: 0, ...versions(['7']) }), // lag 3
      makeSample(3, { reward: 0, ...versions(['8']) }), // lag 2: still fine
      makeSample(4, { reward: 0, ...versions(['custom-tag']) }), // unknown lag
      makeSample(5, { reward: 1, ...versions([]) }), // never generated: no lag
    ]);
    await expect(buffer.takeBatch({ step: 0, groups: 1 })).rejects.toThrow(/needs weightVersion/);
    const batch = await buffer.takeBatch({ step: 0, groups: 1, weightVersion: 10 });
    expect(batch.excluded.map((s) => [s.sample.rolloutId, s.excluded])).toEqual([
      ['r2', 'stale'],
      ['r4', 'stale'],
    ]);
    // remaining rewards 1, 0, 1: mean 2/3
    expect(batch.samples.map((s) => s.advantage!.toFixed(4))).toEqual(['0.3333', '-0.6667', '0.3333']);
    expect(batch.counts).toMatchObject({ stale_dropped: 2, excluded_stale: 2 });
    const replay = await buffer.takeBatch({ step: 0, groups: 1, weightVersion: 99 });
    expect(replay.excluded.map((s) => s.sample.rolloutId)).toEqual(['r2', 'r4']);
  });

  it("reads SGLang's initial version 'default' as version 0", async () => {
    const buffer = freshBuffer({ normalization: 'dr_grpo', maxWeightLag: 1 });
    await buffer.ingest([makeSample(1, { reward: 1, ...versions(['default']) }), makeSample(2, { reward: 0, ...versions(['default', '1']) })]);
    // Trainer at version 1: 'default' is one version behind, within the lag.
    const fresh = await buffer.takeBatch({ step: 0, groups: 1, weightVersion: 1 });
    expect(fresh.excluded).toEqual([]);
    expect(fresh.samples).toHaveLength(2);
    await buffer.ingest([makeSample(3, { reward: 1, ...versions(['default']) }), makeSample(4, { reward: 0, ...versions(['2']) })]);
    // Trainer at version 2: 'default' is two behind, past the lag.
    const later = await buffer.takeBatch({ step: 1, groups: 1, weightVersion: 2 });
    expect(later.excluded.map((s) => [s.sample.rolloutId, s.excluded])).toEqual([['r3', 'stale']]);
  });

  it('keepStale keeps them and counts them', async () => {
    const buffer = freshBuffer({ normalization: 'dr_grpo', maxWeightLag: 0, keepStale: true });
    await buffer.ingest([makeSample(1, { reward: 1, ...versions(['1']) }), makeSample(2, { reward: 0, ...versions(['2']) })]);
    const batch = await buffer.takeBatch({ step: 0, groups: 1, weightVersion: 2 });
    expect(batch.samples.map((s) => s.advantage)).toEqual([0.5, -0.5]);
    expect(batch.counts).toMatchObject({ stale_kept: 1 });
  });

  it('rejects a bad maxWeightLag', () => {
    expect(() => freshBuffer({ maxWeightLag: -1 })).toThrow(/maxWeightLag must be a non-negative integer/);
  });
});

describe('partial rollouts', () => {
  it('holds aborted groups out of batches, hands them out for resume, and replaces them with the continuation', async () => {
    const buffer = freshBuffer({ normalization: 'dr_grpo' });
    const partial = makeGroup(4, [null, null], 40, { status: 'aborted', responseTokens: 2, metadata: { startRolloutId: 3 } });
    expect(await buffer.ingest(partial)).toMatchObject({ state: 'partial' });
    await buffer.ingest(makeGroup(5, [1, 0]));
    expect((await buffer.takeBatch({ step: 3, groups: 5 })).groups.map((g) => g.groupIndex)).toEqual([5]);

    const [resumable] = await buffer.takePartial({ groups: 1 });
    expect(resumable!.state).toBe('resumed');
    expect(resumable!.samples.map((s) => s.sample.tokens)).toEqual(partial.map((s) => s.tokens));
    expect(await buffer.takePartial({ groups: 1 })).toEqual([]);

    const finished = makeGroup(4, [1, 0], 40, { responseTokens: 6 });
    expect(await buffer.ingest(finished)).toMatchObject({ groupId: resumable!.id, state: 'ready', resumed: true, duplicate: false });
    const batch = await buffer.takeBatch({ step: 4, groups: 5 });
    expect(batch.samples.map((s) => [s.sample.responseLength, s.advantage])).toEqual([
      [6, 0.5],
      [6, -0.5],
    ]);
    expect(buffer.counters()).toMatchObject({ groups_partial: 1, resumed_groups: 1 });
  });

  it('without partialRollout, aborted groups are dropped and counted', async () => {
    const buffer = freshBuffer({ partialRollout: false });
    expect(await buffer.ingest(makeGroup(4, [1, null], 40, { status: 'aborted' }))).toMatchObject({ state: 'dropped' });
    expect(buffer.counters()).toMatchObject({ groups_dropped: 1 });
  });
});

describe('durability setting', () => {
  it('process durability is WAL + NORMAL; power durability is WAL + FULL; 64 KiB pages', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'physarum-buffer-'));
    const processLevel = freshBuffer({}, path.join(dir, 'p.sqlite'));
    const powerLevel = freshBuffer({ durability: 'power' }, path.join(dir, 'f.sqlite'));
    expect(processLevel.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(processLevel.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(powerLevel.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(powerLevel.db.pragma('page_size', { simple: true })).toBe(65536);
  });

  it('refuses a file written by another schema version, naming both', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'physarum-buffer-')), 'old.sqlite');
    const buffer = freshBuffer({}, file);
    buffer.db.prepare(`UPDATE kv SET value = '99' WHERE key = 'schema_version'`).run();
    await buffer.close();
    expect(() => DataBuffer.open(file)).toThrow(/schema version 99; this build reads version 1/);
  });
});

describe('worker writer', () => {
  it('stores, dedupes, resumes and commits the cursor exactly as the inline writer', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'physarum-buffer-'));
    const run = async (writer: 'inline' | 'worker') => {
      const buffer = freshBuffer({ writer, normalization: 'dr_grpo' }, path.join(dir, `${writer}.sqlite`));
      const acks = await Promise.all([
        buffer.ingest(makeGroup(1, [1, 0])),
        buffer.ingest(makeGroup(1, [1, 0])),
        buffer.ingest(makeGroup(2, [null, null], 200, { status: 'aborted' }), { cursor: { offset: 2 } }),
      ]);
      await buffer.ingest(makeGroup(2, [3, 1], 200));
      const clash = await buffer.ingest(makeGroup(3, [1], 100)).catch((e: Error & { code?: string }) => [e.code, e.message]);
      const batch = await buffer.takeBatch({ step: 0, groups: 5 });
      return { acks, clash, cursor: buffer.cursor(), advantages: batch.samples.map((s) => s.advantage), counters: buffer.counters() };
    };
    const inline = await run('inline');
    const worker = await run('worker');
    expect(worker).toEqual(inline);
    expect(inline.acks.map((a) => [a.state, a.duplicate])).toEqual([
      ['ready', false],
      ['ready', true],
      ['partial', false],
    ]);
    expect(inline.clash).toEqual(['PHYSARUM_INVALID_INPUT', 'rolloutId r100 (agent policy, fork 0) is already stored in another group']);
    expect(() => DataBuffer.open(':memory:', { writer: 'worker' })).toThrow(/needs a file/);
  });
});

