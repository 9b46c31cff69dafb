// `physarum dashboard` as a user runs it: prints the address, serves the page, stops cleanly on
// SIGINT; a bad argument is one clear line and exit code 1.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordRun, writeRun } from './recorded-run.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'dash-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = path.resolve('bin/physarum.js');

describe('physarum dashboard', () => {
  it('serves a run until interrupted', async () => {
    writeRun(dir, await recordRun(dir, 2));
    const child = spawn(process.execPath, [bin, 'dashboard', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += String(d);
        const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code} before serving: ${out}`)));
    });
    const page = await (await fetch(url)).text();
    expect(page).toContain(`<h1>${path.basename(dir)}</h1>`);
    const points = (await (await fetch(url + 'api/points')).json()) as { metrics: Array<{ step: number }> };
    expect(points.metrics.map((m) => m.step)).toEqual([0, 1]);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', resolve);
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
  });

  it('names a missing run directory and a bad port', () => {
    const missing = spawnSync(process.execPath, [bin, 'dashboard', path.join(dir, 'nope')], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^physarum dashboard: run directory '.*nope' does not exist$/);
    const port = spawnSync(process.execPath, [bin, 'dashboard', dir, '--port', '70000'], { encoding: 'utf8' });
    expect(port.status).toBe(1);
    expect(port.stderr).toContain('--port must be between 0 and 65535, got 70000');
  });
});
