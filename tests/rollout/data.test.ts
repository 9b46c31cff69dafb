import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PhysarumError } from '../../src/protocol/errors.ts';
import { parseDataPath, resolveSlice } from '../../src/rollout/data-path.ts';
import { readPromptRows } from '../../src/rollout/prompt-rows.ts';
import { PromptSource, readPromptRecords } from '../../src/rollout/prompt-source.ts';
import { z } from 'zod';
import { seededPermutation } from '../../src/rollout/seeded-shuffle.ts';

const fixtures = path.join(import.meta.dirname, 'fixtures');
const dir = mkdtempSync(path.join(tmpdir(), 'physarum-rollout-data-'));

function writeJsonl(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const tenRows = writeJsonl(
  'ten.jsonl',
  Array.from({ length: 10 }, (_, i) => JSON.stringify({ input: `q${i}`, label: i, metadata: { i } })),
);

describe('data paths and slices', () => {
  it('parses @[a:b] with empty and negative bounds', () => {
    expect(parseDataPath('a/b.jsonl')).toEqual({ file: 'a/b.jsonl', slice: undefined });
    expect(parseDataPath('a/b.jsonl@[2:5]')).toEqual({ file: 'a/b.jsonl', slice: { start: 2, end: 5 } });
    expect(parseDataPath('x@y.parquet@[-3:]')).toEqual({ file: 'x@y.parquet', slice: { start: -3, end: undefined } });
    expect(parseDataPath('b.jsonl@[:-1]')).toEqual({ file: 'b.jsonl', slice: { start: undefined, end: -1 } });
  });

  it('rejects malformed slices, naming the path', () => {
    expect(() => parseDataPath('b.jsonl@[1:x]')).toThrow(/b\.jsonl@\[1:x\].*@\[start:end\]/);
    expect(() => parseDataPath('@[1:2]')).toThrow(/no file/);
    expect(() => parseDataPath('b.jsonl@[-:2]')).toThrow(/"-" is not a slice bound/);
  });

  it('resolves like Python slicing', () => {
    const py = (start: number | undefined, end: number | undefined, n: number) => resolveSlice({ start, end }, n);
    expect(py(2, 5, 10)).toEqual({ start: 2, end: 5 });
    expect(py(-3, undefined, 10)).toEqual({ start: 7, end: 10 });
    expect(py(undefined, -1, 10)).toEqual({ start: 0, end: 9 });
    expect(py(-20, 20, 10)).toEqual({ start: 0, end: 10 });
    expect(py(8, 3, 10)).toEqual({ start: 8, end: 8 });
  });
});

describe('jsonl prompts', () => {
  it('reads rows with default keys and keeps file row numbers through a slice', async () => {
    const source = await PromptSource.fromFile(`${tenRows}@[-3:]`, { keys: { labelKey: 'label' } });
    expect(source.records.map((r) => r.prompt)).toEqual(['q7', 'q8', 'q9']);
    expect(source.records[0]).toEqual({ id: `${tenRows}#7`, prompt: 'q7', label: 7, metadata: { i: 7 } });
  });

  it('uses configured keys: messages input, JSON-string metadata and tools', async () => {
    const file = writeJsonl('keys.jsonl', [
      JSON.stringify({
        messages: [{ role: 'user', content: 'hi' }],
        gold: { x: 1 },
        meta: '{"difficulty":3}',
        fns: '[{"type":"function","function":{"name":"f"}}]',
      }),
    ]);
    const source = await PromptSource.fromFile(file, { keys: { inputKey: 'messages', labelKey: 'gold', metadataKey: 'meta', toolKey: 'fns' } });
    const tools = [{ type: 'function', function: { name: 'f' } }];
    expect(source.records[0]).toEqual({
      id: `${file}#0`,
      prompt: [{ role: 'user', content: 'hi' }],
      label: { x: 1 },
      metadata: { difficulty: 3, tools },
      tools,
    });
  });

  it('skips blank lines but reports the real line of a broken row', async () => {
    const file = writeJsonl('broken.jsonl', ['{"input":"a"}', '', '{"input":"b"}', '{"input": 3}']);
    await expect(PromptSource.fromFile(file)).rejects.toThrow(`${file} row 2 (line 4), key "input": expected a string or a non-empty message list, got a number`);
    const notJson = writeJsonl('not-json.jsonl', ['{"input":"a"}', '{"input":']);
    await expect(readPromptRows(notJson)).rejects.toThrow(`${notJson} row 1 (line 2): not valid JSON`);
  });

  it('names the key for each kind of broken field', async () => {
    const cases: Array<[object, RegExp]> = [
      [{ nope: 1 }, /row 0 \(line 1\), key "input": missing/],
      [{ input: [{ role: 'robot', content: 'x' }] }, /key "input": expected a string or a non-empty message list, got an array of 1 \(0\.role/],
      [{ input: 'x', metadata: [1] }, /key "metadata": expected an object, got an array of 1/],
      [{ input: 'x', metadata: '{oops' }, /key "metadata": string is not valid JSON/],
      [{ input: 'x', tools: { name: 'f' } }, /key "tools": expected an array of tool specs, got an object/],
    ];
    for (const [row, message] of cases) {
      const file = writeJsonl(`case-${Math.random().toString(36).slice(2)}.jsonl`, [JSON.stringify(row)]);
      const error = await PromptSource.fromFile(file).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(PhysarumError.isInstance(error) && error.code).toBe('PHYSARUM_INVALID_INPUT');
      expect((error as Error).message).toMatch(message);
    }
  });

  it('a broken row outside the slice is never parsed', async () => {
    const file = writeJsonl('tail-broken.jsonl', ['{"input":"a"}', '{"input":"b"}', 'garbage']);
    const source = await PromptSource.fromFile(`${file}@[0:2]`);
    expect(source.records.map((r) => r.prompt)).toEqual(['a', 'b']);
  });

  it('fails clearly on a missing file, an unknown extension and an empty slice', async () => {
    await expect(PromptSource.fromFile(path.join(dir, 'absent.jsonl'))).rejects.toThrow(/^cannot read data file '.*absent\.jsonl': ENOENT$/);
    await expect(PromptSource.fromFile(path.join(dir, 'x.csv'))).rejects.toThrow(/unsupported extension "\.csv"/);
    await expect(PromptSource.fromFile(`${tenRows}@[5:5]`)).rejects.toThrow(/has no rows/);
  });
});

describe('env task rows', () => {
  const schema = z.object({ numbers: z.array(z.number().int()).min(2), target: z.number().int().positive() });

  it('keeps each checked row as the record task, with defaults applied by the schema', async () => {
    const file = writeJsonl('tasks.jsonl', ['{"numbers":[1,2],"target":3}', '', '{"numbers":[4,5],"target":9}']);
    const records = await readPromptRecords(file, { taskSchema: schema.extend({ level: z.number().default(1) }) });
    expect(records).toEqual([
      { id: `${file}#0`, task: { numbers: [1, 2], target: 3, level: 1 }, metadata: {} },
      { id: `${file}#1`, task: { numbers: [4, 5], target: 9, level: 1 }, metadata: {} },
    ]);
  });

  it('names the file, the line of a bad jsonl row and its field; an empty file has no rows', async () => {
    const file = writeJsonl('bad-tasks.jsonl', ['{"numbers":[1,2],"target":3}', '', '{"numbers":[1,2],"target":-4}']);
    await expect(readPromptRecords(file, { taskSchema: schema })).rejects.toThrow(`invalid task at ${file} row 3: field 'target': Too small`);
    await expect(readPromptRecords(writeJsonl('empty.jsonl', ['']), { taskSchema: schema })).rejects.toThrow(/^data file '.*empty\.jsonl' has no rows$/);
    await expect(readPromptRecords(path.join(dir, 'absent.jsonl'), { taskSchema: schema })).rejects.toThrow(/^cannot read data file '.*absent\.jsonl': ENOENT$/);
  });
});

describe('parquet prompts (written by pyarrow)', () => {
  const parquet = path.join(fixtures, 'prompts.parquet');

  it('reads nested message lists, structs and int64 as JSON values', async () => {
    const source = await PromptSource.fromFile(parquet, { keys: { inputKey: 'question', labelKey: 'answer', metadataKey: 'info', toolKey: 'tool_specs' } });
    expect(source.records).toHaveLength(10);
    const first = source.records[0]!;
    expect(first.prompt).toEqual([
      { role: 'system', content: 'Answer briefly.' },
      { role: 'user', content: 'What is 0 + 0?' },
    ]);
    expect(first.label).toBe('0');
    expect(first.metadata).toMatchObject({ source: 'arith', id: 0, big: 2 ** 40 });
    expect(first.tools).toEqual([{ type: 'function', function: { name: 'calc', description: 'add', parameters: {} } }]);
    expect(source.records[1]!.tools).toBeUndefined();
    // JSON-safe all the way down (no bigint), so groups can be carried and persisted.
    expect(JSON.parse(JSON.stringify(source.records))).toEqual(source.records);
  });

  it('slices across row groups with negative bounds', async () => {
    const rows = await readPromptRows(`${parquet}@[3:-2]`);
    expect(rows.map((r) => r.row)).toEqual([3, 4, 5, 6, 7]);
    expect((rows[0]!.value as { answer: string }).answer).toBe('6');
  });

  it('names the file, row and key of a broken parquet row', async () => {
    const broken = path.join(fixtures, 'broken.parquet');
    await expect(PromptSource.fromFile(broken)).rejects.toThrow(`${broken} row 2, key "input": missing`);
    await expect(PromptSource.fromFile(`${broken}@[3:]`)).rejects.toThrow(`${broken} row 3, key "metadata": string is not valid JSON`);
  });

  it.each(['zstd', 'gzip', 'brotli'])('reads %s-compressed parquet', async (codec) => {
    const source = await PromptSource.fromFile(path.join(fixtures, `codec-${codec}.parquet`));
    expect(source.records.map((r) => [r.prompt, r.metadata])).toEqual([0, 1, 2].map((i) => [`codec row ${i} ${'x'.repeat(50)}`, { i }]));
  });

  it('reports a corrupt parquet file as invalid input naming it', async () => {
    const file = path.join(dir, 'corrupt.parquet');
    writeFileSync(file, 'PAR1 this is not parquet PAR1');
    await expect(PromptSource.fromFile(file)).rejects.toThrow(/corrupt\.parquet': cannot read parquet/);
  });
});

describe('epochs and shuffling', () => {
  const records = Array.from({ length: 5 }, (_, i) => ({ id: `r${i}`, prompt: `p${i}`, metadata: {} }));
  const ids = (drawn: Array<{ record: { id: string } }>) => drawn.map((d) => d.record.id);

  it('takes in order and wraps into the next epoch', () => {
    const source = new PromptSource(records);
    expect(ids(source.take(3))).toEqual(['r0', 'r1', 'r2']);
    const next = source.take(4);
    expect(ids(next)).toEqual(['r3', 'r4', 'r0', 'r1']);
    expect(next.map((d) => d.epoch)).toEqual([0, 0, 1, 1]);
    expect(source.state()).toEqual({ epoch: 1, offset: 2 });
  });

  it('shuffles each epoch with seed + epoch, deterministically', () => {
    const a = new PromptSource(records, { shuffle: true, seed: 7 });
    const b = new PromptSource(records, { shuffle: true, seed: 7 });
    const first = ids(a.take(10));
    expect(ids(b.take(10))).toEqual(first);
    // Epoch e of seed s is the permutation of seed s + e: epoch 1 of seed 7 equals epoch 0 of seed 8.
    expect(a.epochOrder(1)).toEqual(new PromptSource(records, { shuffle: true, seed: 8 }).epochOrder(0));
    expect(first.slice(5)).toEqual(seededPermutation(5, 8).map((i) => `r${i}`));
    expect([...first.slice(0, 5)].sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    // Different seeds give different orders for a large enough set.
    expect(seededPermutation(50, 1)).not.toEqual(seededPermutation(50, 2));
    expect(seededPermutation(50, 1)).toEqual(seededPermutation(50, 1));
  });

  it('pins the permutation so runs are reproducible across versions', () => {
    expect(seededPermutation(8, 42)).toMatchInlineSnapshot(`
      [
        2,
        7,
        1,
        0,
        6,
        5,
        3,
        4,
      ]
    `);
  });

  it('resumes from a saved state at the same prompt', () => {
    const a = new PromptSource(records, { shuffle: true, seed: 3 });
    a.take(7);
    const saved = a.state();
    const expected = ids(a.take(6));
    const b = new PromptSource(records, { shuffle: true, seed: 3 });
    b.restore(JSON.parse(JSON.stringify(saved)));
    expect(ids(b.take(6))).toEqual(expected);
    expect(() => b.restore({ epoch: 0, offset: 5 })).toThrow(/offset 5 is past the dataset \(5 prompts\)/);
  });

  it('stops after numEpochs', () => {
    const source = new PromptSource(records, { numEpochs: 1 });
    expect(source.take(3)).toHaveLength(3);
    expect(source.take(3)).toHaveLength(2);
    expect(source.exhausted).toBe(true);
    expect(source.take(3)).toEqual([]);
  });
});
