// `physarum validate` as a user runs it: the shipped envs pass (their cases and the injected
// engine failures), and broken envs made in a temp dir fail with one clear line each.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'physarum-validate-'));
const submit = (answer: string) => `<think>\n\n</think>\n\n<tool_call>\n${JSON.stringify({ name: 'submit', arguments: { answer } })}\n</tool_call>`;

/** A reverse-the-word env in `<dir>/<name>` whose rubric is `rubricBody` (a boolean expression over task and state). */
function makeEnv(name: string, rubricBody: string, validate?: unknown): string {
  const envDir = path.join(dir, name);
  mkdirSync(envDir, { recursive: true });
  writeFileSync(path.join(envDir, 'package.json'), '{"type":"module"}\n');
  writeFileSync(
    path.join(envDir, 'index.ts'),
    `import { z } from 'zod';
import { ToolEnv, hasToolCall } from '${path.join(ROOT, 'src', 'index.ts')}';
type Task = { word: string };
type State = { answer?: string };
class Reverse extends ToolEnv<Task, State> {
  readonly taskSchema = z.object({ word: z.string() });
  override readonly stopWhen = hasToolCall('submit');
  readonly tools = {
    submit: this.defineTool({
      description: 'Hand in the answer.',
      inputSchema: z.object({ answer: z.string() }),
      execute: ({ answer }, { state }) => ((state.answer = answer), { output: 'ok', terminate: true }),
    }),
  };
  readonly rubric = this.defineRubric({ rewards: { reversed: ({ task, state }) => ${rubricBody} } });
  override createState(): State { return {}; }
  reset({ task }: { task: Task }) { return [{ role: 'user' as const, content: 'Reverse ' + task.word }]; }
}
export default new Reverse();
`,
  );
  if (validate !== undefined) writeFileSync(path.join(envDir, 'validate.json'), JSON.stringify(validate));
  return envDir;
}

const goodCases = {
  cases: [
    { name: 'gold', task: { word: 'cherry' }, episodes: [{ task: '', turns: [submit('yrrehc')] }], expect: { reward: 1 } },
    { name: 'wrong', task: { word: 'cherry' }, episodes: [{ task: '', turns: [submit('cherry')] }], expect: { reward: 0 } },
  ],
};

afterEach(() => vi.restoreAllMocks());

describe('physarum validate', () => {
  it('with no argument, validates every env under envs/: each passes its cases and the injected engine failures', async () => {
    const result = await runCli(['validate', '--no-progress']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    const envs = readdirSync('envs', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(lines.map((line) => line.split(':')[0])).toEqual(envs.map((name) => `validate ${name}`));
    for (const line of lines) expect(line).toMatch(/^validate [\w-]+: ok: (\d+)\/\1 cases passed, (\d+)\/\2 injected failures typed, \d+ ms per episode$/);
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/^validate countdown: ok: 5\/5 cases passed, 2\/2 injected/),
      expect.stringMatching(/^validate addition: ok: 4\/4 cases passed, 2\/2 injected/),
      expect.stringMatching(/^validate template: ok: 3\/3 cases passed, 2\/2 injected/),
      expect.stringMatching(/^validate search: ok: 7\/7 cases passed, 2\/2 injected/),
    ]));
  }, 600_000);

  it('a correct env written outside the repo passes', async () => {
    const envDir = makeEnv('good', "state.answer === [...task.word].reverse().join('')", goodCases);
    const result = await runCli(['validate', envDir, '--no-progress']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^validate good: ok: 2\/2 cases passed, 2\/2 injected failures typed/);
  }, 60_000);

  it('a rubric that always returns 0 fails: one line with the env, the case, the task, expected and got', async () => {
    const envDir = makeEnv('zero-rubric', 'state.answer === "never"', goodCases);
    const result = await runCli(['validate', envDir, '--no-progress']);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')).toEqual([`validate zero-rubric: case 'gold': task {"word":"cherry"}: expected reward 1, got reward 0 (completed)`]);
    // No case reached reward 1, so there is no gold episode to inject failures into.
    expect(result.stdout).toMatch(/^validate zero-rubric: 1 miss: 1\/2 cases passed, 0\/0 injected failures typed, \d+ ms per episode$/);
  }, 60_000);

  it('an env without a validate file is a miss, and the other envs named are still validated', async () => {
    const bare = makeEnv('bare', 'true');
    const result = await runCli(['validate', bare, 'envs/addition', '--no-progress']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^validate bare: env: no validate\.json or validate\.ts in .*bare \(docs\/usage\.md, "validate"\)$/);
    expect(result.stdout).toContain('validate addition: ok');
  }, 60_000);

  it('a validate file without a wrong-answer case, or with a malformed case, is named', async () => {
    const onlyGold = makeEnv('only-gold', "state.answer === [...task.word].reverse().join('')", { cases: [goodCases.cases[0]] });
    const malformed = makeEnv('malformed', 'true', { cases: [{ name: 'x', task: { word: 'a' }, episodes: [], expect: { reward: 1 } }] });
    const badTask = makeEnv('bad-task', 'true', { cases: [{ ...goodCases.cases[0], task: { letters: 'abc' } }, goodCases.cases[1]] });
    const result = await runCli(['validate', onlyGold, malformed, badTask, '--no-progress']);
    expect(result.code).toBe(1);
    const lines = result.stderr.split('\n');
    expect(lines).toContain('validate only-gold: cases: no case expects reward 0 (a known-wrong answer)');
    expect(lines.find((l) => l.startsWith('validate malformed:'))).toMatch(/^validate malformed: env: .*validate\.json is invalid at cases\.0\.episodes: /);
    expect(lines.find((l) => l.startsWith("validate bad-task: case 'gold'"))).toMatch(/^validate bad-task: case 'gold': task \{"letters":"abc"\}: .*word/);
  }, 60_000);

  it('--help names the arguments', async () => {
    const result = await runCli(['validate', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('usage: physarum validate [options]');
    expect(result.stdout).toContain('envs/<name>');
  });
});
