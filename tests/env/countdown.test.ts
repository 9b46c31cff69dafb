import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, usesOnlyGiven } from '../../envs/countdown/arithmetic.ts';
import { CountdownTask } from '../../envs/countdown/index.ts';

describe('countdown arithmetic', () => {
  it('evaluates with precedence, parentheses and unary minus, and lists the literals', () => {
    expect(evaluate('(2 + 3) * 4 - 6 / 3')).toEqual({ value: 18, literals: [2, 3, 4, 6, 3] });
    expect(evaluate('-2 + 5').value).toBe(3);
  });

  it('rejects what is not arithmetic, naming the problem', () => {
    expect(() => evaluate('')).toThrow('empty expression');
    expect(() => evaluate('2 +')).toThrow('expression ends too early');
    expect(() => evaluate('(2 + 3')).toThrow("missing ')'");
    expect(() => evaluate('4 / 0')).toThrow('division by zero');
    expect(() => evaluate('process.exit()')).toThrow("unexpected 'p'");
    expect(() => evaluate('2 2')).toThrow("unexpected '2'");
  });

  it('checks each number is used at most once', () => {
    expect(usesOnlyGiven([3, 3], [3, 5])).toBe(false);
    expect(usesOnlyGiven([3, 3], [3, 3, 5])).toBe(true);
    expect(usesOnlyGiven([], [1])).toBe(true);
  });
});

describe('countdown data', () => {
  it('the generator is deterministic and every committed task is valid and solved by its solution', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'countdown-'));
    const out = path.join(dir, 'data.jsonl');
    const script = path.join(dir, 'scripted.json');
    execFileSync(process.execPath, ['--import', 'tsx', 'envs/countdown/generate.ts', '--out', out, '--script', script], { stdio: 'pipe' });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync('envs/countdown/data.jsonl', 'utf8'));
    expect(readFileSync(script, 'utf8')).toBe(readFileSync('envs/countdown/scripted.json', 'utf8'));
    for (const line of readFileSync(out, 'utf8').trim().split('\n')) {
      const task = CountdownTask.parse(JSON.parse(line));
      const { value, literals } = evaluate(task.solution!);
      expect(value).toBe(task.target);
      expect(usesOnlyGiven(literals, task.numbers)).toBe(true);
    }
  });
});
