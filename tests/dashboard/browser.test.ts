// The dashboard in a real headless Chromium: a finished run's charts hold its metrics (read from
// the uPlot instances in the page), clicking a chart opens that step's samples, and a run whose
// files grow while the page is open is drawn as it grows. Screenshots go to
// .cache/test-output/dashboard/.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPaths } from '../../src/driver/run-dir.ts';
import { startDashboard } from '../../src/view/dashboard/server.ts';
import { chromiumPath, launch } from './chromium.ts';
import { appendLines, recordRun, writeRun, type RecordedRun } from './recorded-run.ts';

const OUT = path.resolve('.cache/test-output/dashboard');
const chrome = chromiumPath();
if (!chrome.path) console.warn(`dashboard browser tests skipped: ${chrome.reason}`);

/** A chart's data as uPlot holds it: [steps, ...series], with series labels. */
async function chartData(page: Page, id: string): Promise<{ labels: string[]; data: (number | null)[][] } | null> {
  return page.evaluate((chartId) => {
    const c = (globalThis as any).__dashboard.charts[chartId];
    return c ? { labels: c.plot.series.map((s: any) => s.label), data: c.plot.data.map((d: any) => Array.from(d)) } : null;
  }, id);
}

describe.skipIf(!chrome.path)('dashboard in Chromium', () => {
  let browser: Browser;
  let dir: string;
  let run: RecordedRun;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    browser = await launch(chrome.path!);
    dir = mkdtempSync(path.join(tmpdir(), 'dash-browser-'));
    run = await recordRun(path.join(dir, 'recorded'), 6);
    writeRun(path.join(dir, 'recorded'), run);
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("draws a finished run's charts from its metrics and opens a step's samples on click", async () => {
    const dash = await startDashboard({ runDir: path.join(dir, 'recorded') });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    try {
      await page.goto(dash.url);
      await page.waitForFunction(() => (globalThis as any).__dashboard?.steps === 6);
      const reward = await chartData(page, 'reward');
      expect(reward!.labels).toEqual(['step', 'reward_mean', 'reward_std', 'reward/correct']);
      expect(reward!.data[0]).toEqual([0, 1, 2, 3, 4, 5]);
      expect(reward!.data[1]).toEqual(run.metrics.map((m) => Number(Number(m.reward_mean).toPrecision(4))));
      for (const id of ['heldout', 'length', 'loss', 'clip', 'entropy', 'kl', 'logprob', 'grad', 'throughput', 'time']) {
        const chart = await chartData(page, id);
        expect(chart, `chart ${id}`).not.toBeNull();
        expect(chart!.data.slice(1).some((series) => series.some((v) => typeof v === 'number')), `chart ${id} has data`).toBe(true);
      }
      expect((await chartData(page, 'heldout'))!.data[0]).toEqual(run.evals.map((e) => e.step));
      expect(await chartData(page, 'engine')).toBeNull(); // the run wrote no engine/* keys
      await page.screenshot({ path: path.join(OUT, 'finished-run.png'), fullPage: true });

      // Click the reward chart over step 3: the trace frame shows step 3's samples.
      const over = page.locator('[data-chart="reward"] .u-over');
      const box = (await over.boundingBox())!;
      await page.mouse.move(box.x + (box.width * 3) / 5, box.y + box.height / 2);
      await page.mouse.click(box.x + (box.width * 3) / 5, box.y + box.height / 2);
      const frame = page.frameLocator('#trace');
      await expect.poll(() => frame.locator('h1').textContent()).toBe('step 3');
      expect(await frame.locator('section.card').count()).toBe(8);
      expect(page.url()).toMatch(/#step=3$/);
      await page.screenshot({ path: path.join(OUT, 'step-samples.png'), fullPage: true });
      expect(requests.every((u) => u.startsWith(dash.url.replace(/\/$/, '').replace(/\/\?.*$/, '')) || u.startsWith('ws'))).toBe(true);
    } finally {
      await page.close();
      await dash.close();
    }
  });

  it('draws new steps while the run directory grows', async () => {
    const live = path.join(dir, 'live');
    cpSync(path.join(dir, 'recorded'), live, { recursive: true });
    rmSync(runPaths(live).metrics);
    rmSync(runPaths(live).evals);
    appendLines(runPaths(live).metrics, run.metrics.slice(0, 1));
    const dash = await startDashboard({ runDir: live, pollMs: 50 });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    try {
      await page.goto(dash.url);
      await page.waitForFunction(() => (globalThis as any).__dashboard?.steps === 1);
      for (let step = 1; step < run.metrics.length; step++) {
        appendLines(runPaths(live).metrics, [run.metrics[step]]);
        appendLines(runPaths(live).evals, run.evals.filter((e) => e.step === step));
        await page.waitForFunction((n) => (globalThis as any).__dashboard.steps === n, step + 1);
        const steps = (await chartData(page, 'time'))!.data[0];
        expect(steps).toEqual(Array.from({ length: step + 1 }, (_, k) => k));
        if (step === 3) await page.screenshot({ path: path.join(OUT, 'live-step-3.png'), fullPage: true });
      }
      expect(await page.locator('#laststep').textContent()).toBe('5');
      expect((await chartData(page, 'heldout'))!.data[0]).toEqual(run.evals.map((e) => e.step));
      await page.screenshot({ path: path.join(OUT, 'live-final.png'), fullPage: true });
    } finally {
      await page.close();
      await dash.close();
    }
  });
});
