/**
 * Generates Countdown tasks and the scripted policy that solves them (for `--engine scripted:`).
 *
 *   npx tsx envs/countdown/generate.ts [--count 24] [--seed 7] [--out envs/countdown/data.jsonl]
 *                                      [--script envs/countdown/scripted.json]
 *
 * Deterministic for a seed. Every task has a known solution; the scripted policy tries a partial
 * calculation first, and on every fourth task submits a wrong answer so rewards vary.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { mulberry32 } from '../../src/rollout/seeded-shuffle.ts';
import { evaluate } from './arithmetic.ts';
import type { CountdownTask } from './index.ts';

interface Built {
  expression: string;
  value: number;
}

function combine(left: Built, right: Built, rand: () => number): Built | undefined {
  const ops = ['+', '-', '*'] as const;
  const op = ops[Math.floor(rand() * ops.length)]!;
  const value = op === '+' ? left.value + right.value : op === '-' ? left.value - right.value : left.value * right.value;
  if (value <= 0 || value > 999) return undefined;
  return { expression: `(${left.expression} ${op} ${right.expression})`, value };
}

export function generateTask(rand: () => number): CountdownTask {
  for (;;) {
    const count = 3 + Math.floor(rand() * 2);
    const numbers = Array.from({ length: count }, () => 1 + Math.floor(rand() * 25));
    const used = numbers.slice(0, 2 + Math.floor(rand() * (count - 1)));
    let built: Built | undefined = { expression: String(used[0]), value: used[0]! };
    for (const n of used.slice(1)) built = built && combine(built, { expression: String(n), value: n }, rand);
    if (!built || built.value < 10 || numbers.includes(built.value)) continue;
    const solution = built.expression.replace(/^\((.*)\)$/, '$1');
    if (evaluate(solution).value !== built.value) throw new Error(`generator bug: ${solution}`);
    return { numbers, target: built.value, solution };
  }
}

/** The user-turn text the env shows; the scripted policy keys on it. */
export function promptKey(task: CountdownTask): string {
  return `Numbers: ${task.numbers.join(' ')}. Target: ${task.target}.`;
}

/** A Hermes tool call laid out exactly as the Qwen3 template re-renders it (Python json.dumps spacing), so history stays append-only. */
function call(name: string, expression: string, thought: string): string {
  const json = `{"name": ${JSON.stringify(name)}, "arguments": {"expression": ${JSON.stringify(expression)}}}`;
  return `<think>\n${thought}\n</think>\n\n<tool_call>\n${json}\n</tool_call>`;
}

/** Scripted turns for one task: a calculation, then a submission (wrong on purpose when `wrong`). */
export function scriptedTurns(task: CountdownTask, wrong: boolean): string[] {
  const [a, b] = task.numbers;
  const submit = wrong ? `${a} + ${b}` : task.solution!;
  return [
    call('calculate', `${a} + ${b}`, `Let me see what ${a} + ${b} gives.`),
    call('submit', submit, wrong ? 'I will guess.' : `${task.solution} reaches ${task.target}.`),
  ];
}

function main(): void {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '24' },
      seed: { type: 'string', default: '7' },
      out: { type: 'string', default: 'envs/countdown/data.jsonl' },
      script: { type: 'string', default: 'envs/countdown/scripted.json' },
    },
  });
  const rand = mulberry32(Number(values.seed));
  const tasks: CountdownTask[] = [];
  const keys = new Set<string>();
  while (tasks.length < Number(values.count)) {
    const task = generateTask(rand);
    // The scripted server finds a task's episode by a substring of the prompt, so keys must be unique.
    if (keys.has(promptKey(task))) continue;
    keys.add(promptKey(task));
    tasks.push(task);
  }
  writeFileSync(values.out, tasks.map((t) => JSON.stringify(t)).join('\n') + '\n');
  const episodes = tasks.map((task, i) => ({ task: promptKey(task), turns: scriptedTurns(task, i % 4 === 3) }));
  writeFileSync(values.script, JSON.stringify({ episodes }, null, 1) + '\n');
  console.log(`wrote ${tasks.length} tasks to ${values.out} and their scripted policy to ${values.script}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
