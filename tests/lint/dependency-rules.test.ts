// The dependency rules (.dependency-cruiser.cjs, run by `npm run lint`) catch an import cycle and
// an upward import in a fixture tree, and find none in the real tree.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const config = path.join(root, '.dependency-cruiser.cjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

async function cruise(cwd: string, folders: string[]): Promise<Violation[]> {
  const run = promisify(execFile);
  // The CLI exits non-zero when it finds violations; the JSON report is on stdout either way.
  const { stdout } = await run(process.execPath, [cli, ...folders, '--config', config, '--output-type', 'json'], { cwd, maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
  );
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('dependency rules', () => {
  it('report a cycle and an upward import in the fixture', async () => {
    const violations = await cruise(path.join(import.meta.dirname, 'fixture'), ['src']);
    const seen = violations.map((v) => `${v.rule.name} ${v.from} -> ${v.to}`);
    expect(seen).toContain('layer:src/protocol src/protocol/record.ts -> src/env/named.ts');
    const cycles = seen.filter((s) => s.startsWith('no-cycles '));
    expect(cycles.length).toBeGreaterThan(0);
    for (const cycle of cycles) expect(cycle).toMatch(/^no-cycles src\/chat\/(left|right)\.ts -> src\/chat\/(left|right)\.ts$/);
    // env -> chat is legal: not reported.
    expect(seen.some((s) => s.includes('src/env/named.ts -> src/chat/left.ts'))).toBe(false);
  });

  it('find no violation in the project', async () => {
    expect(await cruise(root, ['src', 'tools', 'sandboxes', 'envs'])).toEqual([]);
  });
});
