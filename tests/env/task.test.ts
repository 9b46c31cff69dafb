import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidTaskError } from '../../src/env/errors.ts';
import { parseTask } from '../../src/env/task.ts';

const schema = z.object({ numbers: z.array(z.number().int()).min(2), target: z.number().int() });

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
});
