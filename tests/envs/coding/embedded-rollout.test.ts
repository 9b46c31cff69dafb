// A real rollout of envs/coding through `physarum rollout` against the embedded engine: a tiny
// random Qwen3-vocabulary model in llama.cpp, the first dataset task, G = 2 (one prepared sandbox,
// forked), Docker sandboxes and the verification room. The model writes noise, so it scores 0;
// what this shows is the path: token-exact samples with real log-probs, scored by the env.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedServer, type EmbeddedServer } from '../../../src/engine/embedded/index.ts';
import { Sample } from '../../../src/protocol/sample.ts';
import { buildEnvImage } from '../../../sandboxes/index.ts';
import { CODING_IMAGE } from '../../../envs/coding/sandbox-spec.ts';
import { qwen3Model } from '../../embedded/tiny-models.ts';
import { docker } from '../../sandboxes/fixtures/pool.ts';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const work = mkdtempSync(path.join(tmpdir(), 'physarum-coding-embedded-'));
let server: EmbeddedServer;
let modelDir: string;

beforeAll(async () => {
  await buildEnvImage(docker, CODING_IMAGE);
  const model = await qwen3Model();
  modelDir = model.dir;
  server = await startEmbeddedServer({ modelPath: model.gguf, sequences: 2, contextSize: 4096 });
}, 900_000);
afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('envs/coding on the embedded engine', () => {
  it('rolls out a group of 2 through Docker sandboxes and scores it with the verification room (reward 0)', async () => {
    const out = path.join(work, 'samples.jsonl');
    // Asynchronous on purpose: the server lives in this process and must keep answering.
    await promisify(execFile)(process.execPath, [
      path.join(root, 'bin', 'physarum.js'), 'rollout', '--env', 'envs/coding', '--data', 'envs/coding/data/tasks.jsonl',
      '--engine', server.url, '--tokenizer', modelDir, '--out', out, '--limit', '1', '--n-samples', '2',
      '--max-new-tokens', '24', '--max-turns', '2', '--sampling-seed', '5', '--no-progress',
    ], { cwd: root, encoding: 'utf8', timeout: 300_000 });
    const samples = readFileSync(out, 'utf8').trim().split('\n').map((line) => Sample.parse(JSON.parse(line)));
    expect(samples).toHaveLength(2);
    for (const sample of samples) {
      expect(['completed', 'truncated']).toContain(sample.status);
      expect(sample).toMatchObject({ reward: 0, rewards: { resolved: 0 } });
      // The verification room ran the task's tests: its PASS_TO_PASS pass without a fix.
      expect(sample.rewards.tests_passed).toBeGreaterThan(0);
      expect(sample.rewards.tests_passed).toBeLessThan(1);
      const sampled = sample.rolloutLogProbs.filter((_, i) => sample.lossMask[i] === 1);
      expect(sampled.length).toBeGreaterThan(0);
      expect(sampled.every((lp) => Number.isFinite(lp) && lp < 0)).toBe(true);
    }
  });
});
