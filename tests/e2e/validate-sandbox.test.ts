// `physarum validate` on an env with a Docker sandbox: its cases run in real containers, and the
// injected removal of the episode's sandbox ends as sandbox_error (not reward 0), like a dead engine.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const shell = (command: string) => `<think>\n\n</think>\n\n<tool_call>\n${JSON.stringify({ name: 'shell', arguments: { command } })}\n</tool_call>`;

describe('validate with sandboxes', () => {
  it('runs the cases in containers and types the injected sandbox removal as sandbox_error', async () => {
    const envDir = path.join(mkdtempSync(path.join(tmpdir(), 'physarum-validate-sandbox-')), 'echo');
    mkdirSync(envDir);
    writeFileSync(path.join(envDir, 'package.json'), '{"type":"module"}\n');
    writeFileSync(path.join(envDir, 'index.ts'), `export { default } from '${path.join(ROOT, 'tests/e2e/fixtures/sandbox-echo-env.ts')}';\n`);
    writeFileSync(
      path.join(envDir, 'validate.json'),
      JSON.stringify({
        cases: [
          { name: 'gold', task: { word: 'alpha' }, episodes: [{ task: '', turns: [shell('echo "alpha from $(pwd)"')] }], expect: { reward: 1 } },
          { name: 'wrong', task: { word: 'alpha' }, episodes: [{ task: '', turns: [shell('echo "beta from $(pwd)"')] }], expect: { reward: 0 } },
        ],
      }),
    );
    const result = await runCli(['validate', envDir, '--no-progress']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^validate echo: ok: 2\/2 cases passed, 3\/3 injected failures typed, \d+ ms per episode$/);
  }, 600_000);
});
