/**
 * `npm run bench -- dashboard`: the live dashboard in headless Chromium on a 1,000-step run.
 *
 * update_ms_p95: from a metrics line appended to metrics.jsonl (timestamp right after the write)
 *   to the page having drawn it (uPlot's draw done, read from the page), over 60 lines appended
 *   one at a time at irregular intervals, so the file poll's phase is not always kind. Same
 *   machine, one clock (Date.now on both sides).
 * page_mb: every byte the page received to show the 1,000-step run: the HTML, uPlot's script and
 *   CSS, and the WebSocket messages carrying the points.
 * Lines are what stepMetrics writes for an RL step (rubric items, status fractions, phase times,
 *   every trainer field the torch_hf worker reports).
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TakenBatch } from '../src/buffer/take-batch.ts';
import { runPaths } from '../src/driver/run-dir.ts';
import { stepMetrics } from '../src/driver/step-metrics.ts';
import type { Sample } from '../src/protocol/sample.ts';
import { startDashboard } from '../src/view/dashboard/server.ts';
import { chromiumPath, launch } from '../tests/dashboard/chromium.ts';

const STEPS = 1000;
const UPDATES = 60;

function line(step: number): Record<string, number | string> {
  // Only the fields stepMetrics reads: 8 groups of 8 samples with two rubric items.
  const samples = Array.from({ length: 64 }, (_, i) => ({
    sample: { reward: ((i * 7 + step) % 10) / 10, responseLength: 200 + ((i * 13 + step) % 300), status: i % 17 === 0 ? 'truncated' : 'completed', rewards: { correct: (i + step) % 2, format: 0.5 } } as unknown as Sample,
  }));
  const batch = { step, groups: Array.from({ length: 8 }, (_, g) => ({ samples: samples.slice(g * 8, g * 8 + 8) })), samples, excluded: [], counts: {}, replayed: false } as unknown as TakenBatch;
  const train: Record<string, number> = {};
  for (const key of ['loss', 'pg_loss', 'kl_loss', 'entropy_loss', 'clipfrac', 'clipfrac_low', 'clipfrac_high', 'approx_kl', 'entropy', 'grad_norm', 'train_rollout_logprob_abs_diff', 'tis_weight_mean', 'tis_clipfrac', 'mis_dropfrac', 'lr', 'tokens', 'samples', 'tokens_per_s', 'step_s', 'frame_decode_s', 'peak_memory_mb'])
    train[key] = Math.random() * 10;
  const times = { rollout: 10 + Math.random(), take: 0.01, train: 5 + Math.random(), export: 0.4, sync: 0.3, eval: 0, save: 0, step: 16 + Math.random() };
  return stepMetrics({ step, mode: 'async', weightVersion: step + 1, batch, train, times, rolloutSeconds: 10 });
}

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

export default async function bench(): Promise<void> {
  const chrome = chromiumPath();
  if (!chrome.path) throw new Error(`bench dashboard needs chromium: ${chrome.reason}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-dashboard-'));
  const paths = runPaths(dir);
  writeFileSync(paths.metrics, Array.from({ length: STEPS }, (_, s) => JSON.stringify(line(s)) + '\n').join(''));
  writeFileSync(paths.evals, Array.from({ length: STEPS / 50 }, (_, k) => JSON.stringify({ event: 'eval', step: k * 50 + 49, heldout_reward: Math.random() }) + '\n').join(''));
  const dash = await startDashboard({ runDir: dir });
  const browser = await launch(chrome.path);
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    let bytes = 0;
    page.on('response', (r) => void r.body().then((b) => (bytes += b.length), () => {}));
    page.on('websocket', (ws) => ws.on('framereceived', (f) => (bytes += Buffer.byteLength(f.payload))));
    await page.goto(dash.url);
    await page.waitForFunction((n) => (globalThis as any).__dashboard?.steps === n, STEPS);
    await page.waitForTimeout(200); // late response bodies are counted
    const pageMb = bytes / 1e6;
    console.log(`page: ${(bytes / 1024).toFixed(0)} KiB for ${STEPS} steps (one metrics line is ${JSON.stringify(line(0)).length} bytes in the file)`);

    const latencies: number[] = [];
    for (let k = 0; k < UPDATES; k++) {
      const step = STEPS + k;
      const text = JSON.stringify(line(step)) + '\n';
      appendFileSync(paths.metrics, text);
      const written = Date.now();
      await page.waitForFunction((s) => (globalThis as any).__dashboard.drawnAt[s] !== undefined, step, { polling: 5 });
      const drawn = await page.evaluate((s) => (globalThis as any).__dashboard.drawnAt[s] as number, step);
      latencies.push(drawn - written);
      await new Promise((r) => setTimeout(r, 37 + ((k * 53) % 120)));
    }
    console.log(`update ms: p50 ${percentile(latencies, 50)} p95 ${percentile(latencies, 95)} max ${Math.max(...latencies)} (${UPDATES} lines, poll 100 ms)`);
    console.log(`bench dashboard: update_ms_p95=${percentile(latencies, 95)} page_mb=${pageMb.toFixed(3)} update_ms_p50=${percentile(latencies, 50)}`);
  } finally {
    await browser.close();
    await dash.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
