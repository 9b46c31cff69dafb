/**
 * The progress line of `physarum rollout` and `physarum demo`, fed one finished episode at a
 * time: a redrawn bar on a terminal, a plain line per tenth elsewhere (CI logs, pipes).
 */
import type { Sample } from '../protocol/sample.ts';

export function progressReporter(stream: NodeJS.WriteStream, total: number, enabled = true): (samples: readonly Sample[]) => void {
  if (!enabled) return () => undefined;
  const started = performance.now();
  let done = 0;
  let rewardSum = 0;
  let rewarded = 0;
  let lastPercent = -1;
  return (samples) => {
    done++;
    const reward = samples[0]?.reward;
    if (reward !== null && reward !== undefined) {
      rewardSum += reward;
      rewarded++;
    }
    const seconds = (performance.now() - started) / 1000;
    const mean = rewarded ? (rewardSum / rewarded).toFixed(3) : 'n/a';
    const text = `${done}/${total} episodes  reward ${mean}  ${(done / Math.max(seconds, 1e-9)).toFixed(1)} episodes/s`;
    if (stream.isTTY) {
      const width = 24;
      const filled = Math.min(width, Math.round((done / total) * width));
      stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`);
      if (done === total) stream.write('\n');
      return;
    }
    const percent = Math.floor((done / total) * 10);
    if (percent !== lastPercent) {
      lastPercent = percent;
      stream.write(`rollout: ${text}\n`);
    }
  };
}
