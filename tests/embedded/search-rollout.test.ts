// The search env against the embedded engine: `physarum rollout` with a served tiny GGUF runs
// episodes over the corpus tools; the random model answers nothing right (reward 0), which is
// fine: the path is what is shown — the engine's own tokens and log-probs in every sample.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/engine/embedded/index.ts';
import { Sample } from '../../src/protocol/sample.ts';
import { bytesModel } from './tiny-models.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
let server: EmbeddedServer;
let modelDir: string;
const work = mkdtempSync(path.join(tmpdir(), 'physarum-search-embedded-'));

beforeAll(async () => {
  const model = await bytesModel();
  modelDir = model.dir;
  server = await startEmbeddedServer({ modelPath: model.gguf, sequences: 4, contextSize: 4096 });
}, 300_000);
afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('search env against the embedded engine', () => {
  it('rolls out held-out questions: samples carry sampled tokens with real log-probs and an exact-match reward', async () => {
    const out = path.join(work, 'samples.jsonl');
    // Asynchronous on purpose: the server lives in this process and must keep answering.
    await promisify(execFile)(process.execPath, [
      path.join(root, 'bin', 'physarum.js'), 'rollout', '--env', 'envs/search', '--data', 'envs/search/held-out.jsonl',
      '--engine', server.url, '--tokenizer', modelDir, '--out', out, '--limit', '2', '--n-samples', '2',
      '--max-new-tokens', '48', '--max-turns', '2', '--sampling-seed', '5', '--no-progress',
    ], { cwd: root, encoding: 'utf8', timeout: 180_000 });
    const samples = readFileSync(out, 'utf8').trim().split('\n').map((line) => Sample.parse(JSON.parse(line)));
    expect(samples).toHaveLength(4);
    for (const sample of samples) {
      expect(['completed', 'truncated']).toContain(sample.status);
      expect(sample.reward).toBe(0);
      expect(Object.keys(sample.rewards)).toEqual(expect.arrayContaining(['exact_match', 'f1', 'searches', 'evidence_read']));
      const sampled = sample.rolloutLogProbs.filter((_, i) => sample.lossMask[i] === 1);
      expect(sampled.length).toBeGreaterThan(0);
      expect(sampled.every((lp) => Number.isFinite(lp) && lp < 0)).toBe(true);
      expect(JSON.stringify(sample.prompt)).toContain('Question: ');
      // The label is the task's answer (never shown to the model: the prompt holds only the question).
      const task = JSON.parse(readFileSync(path.join(root, 'envs/search/held-out.jsonl'), 'utf8').split('\n')[sample.groupIndex]!) as { answers: string[] };
      expect(sample.label).toBe(task.answers[0]);
      expect(JSON.stringify(sample.prompt)).not.toContain(task.answers[0]);
    }
  }, 240_000);
});
