/**
 * The progress line of `physarum rollout` and `physarum demo`, fed one finished episode at a
 * time (src/protocol/progress.ts draws it: a redrawn bar on a terminal, a plain line per tenth
 * elsewhere).
 */
import { Progress, type ProgressStream } from '../protocol/progress.ts';
import type { Sample } from '../protocol/sample.ts';

export interface EpisodeReporter {
  (samples: readonly Sample[]): void;
  /**
   * A sandbox pool's log line: its warnings are lines of their own, its image-build chatter
   * (debootstrap, setup commands) only replaces the status text.
   */
  poolLog(line: string): void;
}

export function progressReporter(stream: ProgressStream, total: number, enabled = true): EpisodeReporter {
  const progress = new Progress(stream, 'rollout', { total, unit: 'episodes', enabled });
  const started = performance.now();
  let done = 0;
  let rewardSum = 0;
  let rewarded = 0;
  const report = ((samples: readonly Sample[]) => {
    done++;
    const reward = samples[0]?.reward;
    if (reward !== null && reward !== undefined) {
      rewardSum += reward;
      rewarded++;
    }
    const seconds = (performance.now() - started) / 1000;
    const detail = `reward ${rewarded ? (rewardSum / rewarded).toFixed(3) : 'n/a'} · ${(done / Math.max(seconds, 1e-9)).toFixed(1)} episodes/s`;
    if (done >= total) progress.done(detail, done);
    else progress.update(done, detail);
  }) as EpisodeReporter;
  report.poolLog = (line) => (line.startsWith('sandbox pool:') ? progress.log(line) : progress.status(line.trim()));
  return report;
}
