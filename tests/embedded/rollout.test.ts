// A real rollout against the embedded engine: `physarum rollout` (the env/CLI engineer's command)
// with --engine pointed at a served tiny GGUF records the engine's log-probs in every sample.
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
let gguf: string;
const work = mkdtempSync(path.join(tmpdir(), 'physarum-embedded-rollout-'));

beforeAll(async () => {
  const model = await bytesModel();
  modelDir = model.dir;
  gguf = model.gguf;
  server = await startEmbeddedServer({ modelPath: model.gguf, sequences: 4, contextSize: 2048 });
});
afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('physarum rollout against the embedded engine', () => {
  it('completes episodes whose samples carry the sampled tokens and their real log-probs', async () => {
    const out = path.join(work, 'samples.jsonl');
    // Asynchronous on purpose: the server lives in this process and must keep answering.
    await promisify(execFile)(process.execPath, [
      path.join(root, 'bin', 'physarum.js'), 'rollout', '--env', 'envs/countdown', '--data', 'envs/countdown/data.jsonl',
      '--engine', server.url, '--tokenizer', modelDir, '--out', out, '--limit', '2', '--n-samples', '2',
      '--max-new-tokens', '48', '--sampling-seed', '3', '--no-progress',
    ], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    const samples = readFileSync(out, 'utf8').trim().split('\n').map((line) => Sample.parse(JSON.parse(line)));
    expect(samples).toHaveLength(4);
    for (const sample of samples) {
      expect(['completed', 'truncated']).toContain(sample.status);
      const sampled = sample.rolloutLogProbs.filter((_, i) => sample.lossMask[i] === 1);
      expect(sampled.length).toBeGreaterThan(0);
      // Real log-probs of a random tiny model: negative, finite, and not one repeated constant.
      expect(sampled.every((lp) => Number.isFinite(lp) && lp < 0)).toBe(true);
      expect(new Set(sampled).size).toBeGreaterThan(1);
      expect(sample.weightVersions).toContain('default');
    }
  });

  it("starts the embedded engine itself for --engine embedded:<model.gguf>", async () => {
    const out = path.join(work, 'embedded-spec.jsonl');
    const { stdout } = await promisify(execFile)(process.execPath, [
      path.join(root, 'bin', 'physarum.js'), 'rollout', '--env', 'envs/countdown', '--data', 'envs/countdown/data.jsonl',
      '--engine', `embedded:${gguf}`, '--tokenizer', modelDir, '--out', out, '--limit', '1', '--n-samples', '2',
      '--max-new-tokens', '32', '--max-turns', '1', '--no-progress',
    ], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(stdout).toMatch(/against embedded llama\.cpp engine at http:\/\/127\.0\.0\.1:\d+ ->/);
    const samples = readFileSync(out, 'utf8').trim().split('\n').map((line) => Sample.parse(JSON.parse(line)));
    expect(samples).toHaveLength(2);
    for (const sample of samples) expect(sample.rolloutLogProbs.filter((_, i) => sample.lossMask[i] === 1).every((lp) => Number.isFinite(lp) && lp < 0)).toBe(true);
  });
});
