/**
 * Weight publishing: the worker exports its weights (GGUF for the embedded engine, an HF folder
 * for SGLang) and WeightSync loads them into every engine under pause → flush → update → continue
 * with the new version. Old exports are removed once no engine can still be loading them.
 */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { WeightSync } from '../engine/fleet/weight-sync.ts';
import type { WeightPublisher } from './loop.ts';
import type { TrainerPort } from './trainer-port.ts';

export function weightPublisher(options: {
  trainer: TrainerPort;
  weightSync: WeightSync;
  dir: string;
  format: 'gguf' | 'hf';
  /** Exports to keep on disk (default 2: the one loaded and the one before it). */
  keep?: number;
}): WeightPublisher {
  const { trainer, weightSync, dir, format } = options;
  return {
    async publish(version) {
      let t = performance.now();
      const exported = await trainer.exportWeights({ format, dir, version });
      const exportSeconds = (performance.now() - t) / 1000;
      t = performance.now();
      await weightSync.updateFromDisk({ modelPath: exported.path, version: String(version) });
      const syncSeconds = (performance.now() - t) / 1000;
      prune(dir, exported.path, options.keep ?? 2);
      return { exportSeconds, syncSeconds };
    },
    async offload() {
      await weightSync.offload();
    },
  };
}

/** Remove all but the newest `keep` exports (names carry the version: weights-<v>...). */
function prune(dir: string, current: string, keep: number): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  const versionOf = (name: string): number => Number(/(\d+)/.exec(name)?.[1] ?? NaN);
  const versions = entries.filter((name) => Number.isFinite(versionOf(name)) && /^weights/.test(name)).sort((a, b) => versionOf(b) - versionOf(a));
  for (const name of versions.slice(keep)) {
    const full = path.join(dir, name);
    if (full !== current) rmSync(full, { recursive: true, force: true });
  }
}
