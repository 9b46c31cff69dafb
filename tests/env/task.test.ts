import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidTaskError } from '../../src/env/errors.ts';
import { parseJsonl, parseTask, readTasks } from '../../src/env/task.ts';

const schema = z.object({ numbers: z.array(z.number().int()).min(2), target: z.number().int() });
const dir = mkdtempSync(path.join(tmpdir(), 'physarum-task-'));

describe('tasks', () => {
  it('parses valid rows', () => {
    expect(parseTask(schema, { numbers: [1, 2], target: 3 })).toEqual({ numbers: [1, 2], target: 3 });
  });

  it('names the row and the nested field of the first issue', () => {
    const error = (() => {
      try {
        parseTask(schema, { numbers: [1, 'x'], target: 3 }, { row: 7, source: 'data.jsonl' });
      } catch (e) {
        return e as InvalidTaskError;
      }
    })();
    expect(error).toBeInstanceOf(InvalidTaskError);
    expect(error?.code).toBe('PHYSARUM_INVALID_TASK');
    expect(error?.row).toBe(7);
    expect(error?.field).toBe('numbers.1');
    expect(error?.message).toBe("invalid task at data.jsonl row 7: field 'numbers.1': Invalid input: expected number, received string");
  });

  it('counts lines (blank ones included) so the row matches the editor', () => {
    expect(parseJsonl('{"a":1}\n\n{"a":2}\n').map((r) => r.row)).toEqual([1, 3]);
    expect(() => parseJsonl('{"a":1}\n{oops', 'f.jsonl')).toThrow(/^invalid task at f\.jsonl row 2: not JSON/);
  });

  it('readTasks: missing file, empty file, bad row', async () => {
    await expect(readTasks(path.join(dir, 'missing.jsonl'), schema)).rejects.toThrow(`cannot read data file '${path.join(dir, 'missing.jsonl')}': ENOENT`);
    writeFileSync(path.join(dir, 'empty.jsonl'), '\n');
    await expect(readTasks(path.join(dir, 'empty.jsonl'), schema)).rejects.toThrow('holds no tasks');
    writeFileSync(path.join(dir, 'bad.jsonl'), '{"numbers":[1,2],"target":3}\n{"numbers":[1,2]}\n');
    await expect(readTasks(path.join(dir, 'bad.jsonl'), schema)).rejects.toThrow("row 2: field 'target'");
  });
});
