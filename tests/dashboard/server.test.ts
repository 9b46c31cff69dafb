// The dashboard server over real HTTP and a real WebSocket: the first message holds the run's
// points, appended lines arrive alone, a half-written line waits, a malformed one is reported and
// skipped, step pages render the buffer's groups, and a token guards a non-loopback bind.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runPaths } from '../../src/driver/run-dir.ts';
import { startDashboard, type Dashboard } from '../../src/view/dashboard/server.ts';
import { cards } from '../view/parse-trace.ts';
import { appendLines, recordRun, writeRun, type RecordedRun } from './recorded-run.ts';

let dir: string;
let run: RecordedRun;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dash-server-'));
  run = await recordRun(dir, 4);
  writeRun(dir, { metrics: run.metrics.slice(0, 2), evals: run.evals.slice(0, 1) });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function messages(url: string): { next(): Promise<any>; close(): void } {
  const ws = new WebSocket(url);
  const queue: any[] = [];
  const waiters: Array<(m: any) => void> = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  return {
    next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiters.push(resolve))),
    close: () => ws.close(),
  };
}

describe('dashboard server', () => {
  let dash: Dashboard;
  beforeAll(async () => {
    dash = await startDashboard({ runDir: dir, pollMs: 20 });
  });
  afterAll(() => dash.close());

  it('sends the points so far, then only new whole lines; a malformed line is reported and skipped', async () => {
    const ws = messages(dash.url.replace('http', 'ws') + 'ws');
    const first = await ws.next();
    expect(first).toMatchObject({ type: 'update', reset: true });
    expect(first.metrics.map((m: any) => m.step)).toEqual([0, 1]);
    expect(first.evals.map((m: any) => m.heldout_reward)).toEqual([run.evals[0]!.heldout_reward]);
    expect(first.metrics[1].reward_mean).toBeCloseTo(Number(run.metrics[1]!.reward_mean), 3);

    const line = JSON.stringify(run.metrics[2]);
    appendFileSync(runPaths(dir).metrics, line.slice(0, 20)); // a line still being written
    appendFileSync(runPaths(dir).metrics, line.slice(20) + '\n{broken\n');
    const problem = await ws.next();
    expect(problem.type).toBe('problem');
    expect(problem.line).toContain('metrics.jsonl:4');
    const update = await ws.next();
    expect(update.reset).toBe(false);
    expect(update.metrics.map((m: any) => m.step)).toEqual([2]);
    appendLines(runPaths(dir).metrics, [run.metrics[3]]);
    expect((await ws.next()).metrics.map((m: any) => m.step)).toEqual([3]);
    ws.close();
  });

  it("serves a step's samples as a trace page, sorted by reward on request, and says why a step has none", async () => {
    const page = await (await fetch(dash.url + 'step/1')).text();
    expect(page).toContain('<title>step 1</title>');
    expect(cards(page)).toHaveLength(8);
    const low = await (await fetch(dash.url + 'step/1?sort=reward-asc')).text();
    const rewards = cards(low).map((c) => Number(/<em>reward<\/em> ([^<]*)</.exec(c)![1]));
    expect(rewards.length).toBe(8);
    expect(rewards).toEqual([...rewards].sort((a, b) => a - b));
    const pairs = await (await fetch(dash.url + 'step/1?layout=pairs&sort=reward-desc')).text();
    expect(pairs).toContain('grid-template-columns:repeat(2');
    expect(pairs).toContain('<b>two side by side</b>');
    expect(pairs).toContain('href="/step/1?sort=reward-desc"'); // back to one per row, the order kept
    expect(pairs).toContain('href="/#step=1"');
    const missing = await fetch(dash.url + 'step/99');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('step 99 has not been taken');
  });

  it('serves uPlot from node_modules and refuses a foreign Host header', async () => {
    const js = await fetch(dash.url + 'assets/uPlot.iife.min.js');
    expect(js.status).toBe(200);
    expect(await js.text()).toContain('uPlot');
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      request(dash.url, { headers: { host: 'attacker.example' } }, (res) => resolve(res.statusCode ?? 0)).end();
    });
    expect(status).toBe(403);
  });
});

describe('dashboard token', () => {
  it('generates a token off loopback and refuses requests and sockets without it', async () => {
    const dash = await startDashboard({ runDir: dir, host: '0.0.0.0' });
    try {
      expect(dash.token).toMatch(/^[\w-]{20,}$/);
      const base = dash.url.replace('0.0.0.0', '127.0.0.1');
      expect((await fetch(base)).status).toBe(200);
      const step = await (await fetch(base.replace('/?', '/step/0?'))).text();
      expect(step).toContain(`href="/step/0?sort=reward-asc&amp;token=${dash.token}"`); // links keep the token
      const bare = base.replace(/\?token=.*$/, '');
      expect((await fetch(bare)).status).toBe(403);
      expect((await fetch(bare + '?token=wrong')).status).toBe(403);
      const refused = await new Promise<string>((resolve) => {
        const ws = new WebSocket(bare.replace('http', 'ws') + 'ws');
        ws.on('error', (e) => resolve(e.message));
        ws.on('open', () => resolve('open'));
      });
      expect(refused).toContain('403');
    } finally {
      await dash.close();
    }
  });

  it('names a run directory that does not exist', async () => {
    await expect(startDashboard({ runDir: path.join(dir, 'nope') })).rejects.toThrow(/run directory '.*nope' does not exist/);
  });
});
