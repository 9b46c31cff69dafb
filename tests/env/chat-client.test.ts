import { describe, expect, it } from 'vitest';
import type { ChatCompletion, ChatCompletionRequest } from '../../src/engine/client/openai-chat-client.ts';
import { chatCompletionsClient } from '../../src/env/chat-client.ts';

describe('chatCompletionsClient', () => {
  it('converts messages, tools and sampling to the OpenAI shape and the reply back', async () => {
    const requests: ChatCompletionRequest[] = [];
    const client = {
      async complete(request: ChatCompletionRequest): Promise<ChatCompletion> {
        requests.push(request);
        return {
          id: 'x', object: 'chat.completion', created: 0, model: 'm',
          choices: [{
            index: 0, finish_reason: 'tool_calls',
            message: { role: 'assistant', content: null, reasoning_content: 'think', tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'grade', arguments: '{"score": 3}' } },
              { id: 'c2', type: 'function', function: { name: 'grade', arguments: 'not json' } },
            ] },
          }],
        };
      },
    };
    const engine = chatCompletionsClient(client, { chat_template_kwargs: { enable_thinking: false } });
    const reply = await engine.complete({
      messages: [
        { role: 'user', content: 'grade it' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'a', name: 'look', arguments: { path: '/x' } }] },
        { role: 'tool', content: 'file', toolCallId: 'a', name: 'look' },
      ],
      tools: [{ type: 'function', function: { name: 'grade', description: 'g', parameters: {} } }],
      sampling: { temperature: 0, top_p: 0.9, max_new_tokens: 64, stop: ['END'], sampling_seed: 1, top_k: 5 },
    });
    expect(requests[0]).toEqual({
      chat_template_kwargs: { enable_thinking: false }, temperature: 0, top_p: 0.9, max_tokens: 64, stop: ['END'], seed: 1,
      messages: [
        { role: 'user', content: 'grade it' },
        { role: 'assistant', content: '', tool_calls: [{ id: 'a', type: 'function', function: { name: 'look', arguments: '{"path":"/x"}' } }] },
        { role: 'tool', content: 'file', tool_call_id: 'a', name: 'look' },
      ],
      tools: [{ type: 'function', function: { name: 'grade', description: 'g', parameters: {} } }],
    });
    expect(reply).toEqual({
      role: 'assistant', content: '', reasoningContent: 'think',
      toolCalls: [{ id: 'c1', name: 'grade', arguments: { score: 3 } }, { id: 'c2', name: 'grade', arguments: { _raw: 'not json' } }],
    });
  });
});
