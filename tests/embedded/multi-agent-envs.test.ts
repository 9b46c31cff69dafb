// The multi-agent envs on the embedded engine (a served tiny GGUF): `physarum rollout` over
// envs/selfplay and envs/critic, and Kuhn poker against a frozen opponent on a second embedded
// engine. The tiny model never writes a legal move, so its seats forfeit: rewards are ~0, and
// what this shows is the path (every role's samples, real log-probs, typed statuses).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChat } from '../../src/chat/chat-template.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/engine/embedded/index.ts';
import { runEpisode } from '../../src/env/episode.ts';
import { Sample } from '../../src/protocol/sample.ts';
import { KuhnPokerEnv } from '../../envs/selfplay/index.ts';
import { bytesModel } from './tiny-models.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const work = process.env.KEEP_WORK ?? mkdtempSync(path.join(tmpdir(), 'physarum-multi-agent-envs-'));
let policy: EmbeddedServer;
let frozen: EmbeddedServer;
let modelDir: string;

beforeAll(async () => {
  const [a, b] = [await bytesModel(1), await bytesModel(2)];
  modelDir = a.dir;
  policy = await startEmbeddedServer({ modelPath: a.gguf, sequences: 4, contextSize: 2048 });
  frozen = await startEmbeddedServer({ modelPath: b.gguf, sequences: 2, contextSize: 2048 });
});
afterAll(async () => {
  await policy?.close();
  await frozen?.close();
  if (!process.env.KEEP_WORK) rmSync(work, { recursive: true, force: true });
});

async function rollout(env: string, limit: number): Promise<Sample[]> {
  const out = path.join(work, `${env}.jsonl`);
  // Asynchronous: the engine lives in this process and must keep answering.
  await promisify(execFile)(process.execPath, [
    path.join(root, 'bin', 'physarum.js'), 'rollout', '--env', `envs/${env}`, '--data', `envs/${env}/data.jsonl`,
    '--engine', policy.url, '--tokenizer', modelDir, '--out', out, '--limit', String(limit), '--n-samples', '2',
    '--max-new-tokens', '24', '--sampling-seed', '5', '--no-progress',
  ], { cwd: root, encoding: 'utf8', timeout: 240_000 });
  return readFileSync(out, 'utf8').trim().split('\n').map((line) => Sample.parse(JSON.parse(line)));
}

/**
 * Typed statuses and scored rewards for every sample; real log-probs for every role that moved. The
 * tiny model's replies usually run into max_new_tokens: the episode is then `truncated` before
 * the next role moves, and that role's sample has no turns.
 */
function expectRealSamples(samples: Sample[], firstRole: string): void {
  for (const s of samples) {
    expect(['completed', 'truncated']).toContain(s.status);
    expect(s.reward).not.toBeNull();
    const sampled = s.rolloutLogProbs.filter((_, i) => s.lossMask[i] === 1);
    expect(sampled.length > 0).toBe(s.turns > 0);
    expect(sampled.every((lp) => Number.isFinite(lp) && lp < 0)).toBe(true);
    if (s.agent === firstRole) expect(s.turns).toBeGreaterThan(0);
  }
}

describe('multi-agent envs on the embedded engine', () => {
  it('selfplay: one policy in both seats, a sample per seat per episode; a finished hand has one winner', async () => {
    const samples = await rollout('selfplay', 2);
    expectRealSamples(samples, 'player0');
    const episodes = new Map<string, Sample[]>();
    for (const s of samples) episodes.set(s.rolloutId, [...(episodes.get(s.rolloutId) ?? []), s]);
    expect(episodes.size).toBe(4);
    for (const group of episodes.values()) {
      const last = (role: string) => group.filter((s) => s.agent === role).at(-1)!;
      const [p0, p1] = [last('player0'), last('player1')];
      expect(p0.status).toBe(p1.status);
      expect(p0.reward! + p1.reward!).toBe(p0.status === 'completed' ? 1 : 0);
    }
  });

  it('critic: solver and critic samples per episode, each scored for its own job', async () => {
    const samples = await rollout('critic', 2);
    expectRealSamples(samples, 'solver');
    const agents = new Set(samples.map((s) => s.agent));
    expect(agents).toEqual(new Set(['solver', 'critic']));
    for (const s of samples) expect(s.rewards).toHaveProperty(s.agent === 'solver' ? 'correct' : 'right_call');
  });

  it('selfplay against a frozen opponent on a second embedded engine: only the trained seat has samples', async () => {
    const chat = await loadChat(modelDir);
    const env = new KuhnPokerEnv({ roles: { player1: { trains: false, engine: new SglangClient(frozen.url) } } });
    const { samples } = await runEpisode({
      env, task: { id: 'e-1', cards: ['K', 'J'] }, engine: new SglangClient(policy.url), chat, rolloutId: 'frozen-e', groupIndex: 0, index: 0,
      sampling: { max_new_tokens: 24, temperature: 1 },
    });
    expect(samples.map((s) => s.agent)).toEqual(['player0']);
    expectRealSamples(samples, 'player0');
  });
});
