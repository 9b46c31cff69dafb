// `physarum validate` as a user runs it: the shipped envs pass (their cases and the injected
// engine failures), and broken envs made in a temp dir fail with one clear line each.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
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

  it('validate.ts: cases computed by an async default export', async () => {
    const envDir = makeEnv('computed', "state.answer === [...task.word].reverse().join('')");
    writeFileSync(
      path.join(envDir, 'validate.ts'),
      `const submit = (answer: string) => '<tool_call>\\n' + JSON.stringify({ name: 'submit', arguments: { answer } }) + '\\n</tool_call>';
export default async () => ({
  cases: ['level', 'stone'].flatMap((word) => [
    { name: 'gold ' + word, task: { word }, episodes: [{ task: '', turns: [submit([...word].reverse().join(''))] }], expect: { reward: 1 } },
    { name: 'wrong ' + word, task: { word }, episodes: [{ task: '', turns: [submit(word + 's')] }], expect: { reward: 0 } },
  ]),
});
`,
    );
    const result = await runCli(['validate', envDir, '--no-progress']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^validate computed: ok: 4\/4 cases passed, 2\/2 injected failures typed/);
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

  it('a two-role env: per-role rewards, one role narrowed with `role`, and the injected failure types every role', async () => {
    const envDir = path.join(dir, 'duo');
    mkdirSync(envDir, { recursive: true });
    writeFileSync(path.join(envDir, 'package.json'), '{"type":"module"}\n');
    writeFileSync(
      path.join(envDir, 'index.ts'),
      `import { z } from 'zod';
import { MultiAgentEnv, type AssistantReply, type EnvContext } from '${path.join(ROOT, 'src', 'index.ts')}';
type Task = { a: number; b: number };
type State = { answer?: string; verdict?: string };
type Ctx = EnvContext<Task, State>;
class Duo extends MultiAgentEnv<Task, State> {
  readonly taskSchema = z.object({ a: z.number(), b: z.number() });
  readonly roles = { solver: {}, critic: {} };
  readonly rubric = this.defineRubric({
    rewards: {
      right: ({ role, task, state }) => {
        const correct = state.answer === String(task.a + task.b);
        return role === 'solver' ? correct : (state.verdict === 'accept') === correct;
      },
    },
  });
  override createState(): State { return {}; }
  reset({ task }: Ctx) {
    return { solver: [{ role: 'user' as const, content: 'Add ' + task.a + ' and ' + task.b }], critic: [{ role: 'system' as const, content: 'Say accept or reject.' }] };
  }
  nextRole(ctx: Ctx) { return ctx.steps.length === 0 ? 'solver' : ctx.steps.length === 1 ? 'critic' : undefined; }
  step(role: string, reply: AssistantReply, ctx: Ctx) {
    const text = reply.message.content.trim();
    if (role === 'solver') { ctx.state.answer = text; return { messages: { critic: [{ role: 'user' as const, content: 'Answer: ' + text }] } }; }
    ctx.state.verdict = text;
    return {};
  }
}
export default new Duo();
`,
    );
    const reply = (text: string) => `<think>\n\n</think>\n\n${text}`;
    const episodes = (answer: string, verdict: string) => [
      { task: '', role: 'solver', turns: [reply(answer)] },
      { task: '', role: 'critic', turns: [reply(verdict)] },
    ];
    writeFileSync(path.join(envDir, 'validate.json'), JSON.stringify({
      cases: [
        { name: 'right and accepted', task: { a: 2, b: 3 }, episodes: episodes('5', 'accept'), expect: { reward: 1 } },
        { name: 'wrong and rejected', task: { a: 2, b: 3 }, episodes: episodes('6', 'reject'), expect: { rewards: { solver: 0, critic: 1 } } },
        { name: 'wrong but accepted', task: { a: 2, b: 3 }, episodes: episodes('6', 'accept'), expect: { reward: 0 } },
        { name: 'the critic alone', task: { a: 2, b: 3 }, episodes: episodes('5', 'reject'), expect: { reward: 0, role: 'critic' } },
        { name: 'a miss names the role', task: { a: 2, b: 3 }, episodes: episodes('5', 'reject'), expect: { rewards: { solver: 1, critic: 1 } } },
      ],
    }));
    const result = await runCli(['validate', envDir, '--no-progress']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`validate duo: case 'a miss names the role': task {"a":2,"b":3}: expected reward 1, got reward 0 (completed) ('critic')`);
    // Two requests (solver, critic): the engine breaks at the critic's turn, and both roles' samples carry model_error.
    expect(result.stdout).toMatch(/^validate duo: 1 miss: 4\/5 cases passed, 2\/2 injected failures typed, \d+ ms per episode$/);
  }, 60_000);

  it('Ctrl-C stops after the episode in flight, reports what ran and exits 130', async () => {
    const child = spawn(process.execPath, ['bin/physarum.js', 'validate', 'envs/search', 'envs/countdown'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    // Interrupt on the first progress line: the first case has run by then.
    child.stderr.once('data', () => child.kill('SIGINT'));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(130);
    expect(stdout).toMatch(/^validate search: /);
    expect(stdout).not.toContain('validate countdown');
  }, 60_000);

  it('--help names the arguments', async () => {
    const result = await runCli(['validate', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('usage: physarum validate [options]');
    expect(result.stdout).toContain('envs/<name>');
  });
});
