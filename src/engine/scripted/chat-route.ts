/**
 * `/v1/chat/completions` on the scripted server (docs/architecture.md, wire §4), non-streaming. No chat template
 * is rendered: the script is matched against the message contents joined by newlines, which is
 * enough to test judge and frozen-opponent clients over real HTTP.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolveSampling, type GenerateItem } from '../server/generate-batch.ts';
import { RequestRejected, type ScriptedEngine } from './scripted-engine.ts';
import { openAiError, sendJson } from '../server/server-http.ts';

function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (content === null) return '';
  if (Array.isArray(content))
    return content.map((part) => (typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : '')).join('');
  return undefined;
}

export async function handleChatCompletions(
  engine: ScriptedEngine,
  modelPath: string,
  req: IncomingMessage,
  res: ServerResponse,
  body: Record<string, unknown>,
): Promise<void> {
  // The OpenAI routes require a JSON content type (docs/architecture.md, wire §0).
  if (!String(req.headers['content-type'] ?? '').includes('application/json'))
    return openAiError(res, 400, "Request must have 'Content-Type: application/json'", 'Bad Request');
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return openAiError(res, 400, 'messages must be a non-empty list of chat messages');
  const texts: string[] = [];
  for (const [i, message] of messages.entries()) {
    const text = typeof message === 'object' && message !== null ? contentText((message as { content?: unknown }).content) : undefined;
    if (text === undefined || typeof (message as { role?: unknown }).role !== 'string')
      return openAiError(res, 400, `messages[${i}] needs a string role and a string (or text-part list) content`);
    texts.push(text);
  }
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens !== undefined && maxTokens !== null && (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens <= 0))
    return openAiError(res, 400, `max_tokens must be a positive integer, got ${JSON.stringify(maxTokens)}`);
  const stop = body.stop;
  const item: GenerateItem = {
    index: 0,
    promptIndex: 0,
    rid: typeof body.rid === 'string' ? body.rid : `chatcmpl-${Math.random().toString(16).slice(2, 14)}`,
    text: texts.join('\n'),
    sampling: resolveSampling({
      max_new_tokens: typeof maxTokens === 'number' ? maxTokens : null,
      ...(typeof body.temperature === 'number' ? { temperature: body.temperature } : {}),
      ...(typeof stop === 'string' || Array.isArray(stop) ? { stop: stop as string | string[] } : {}),
    }),
    returnLogprob: false,
    logprobStartLen: -1,
    topLogprobsNum: 0,
    returnTextInLogprobs: false,
  };
  let prepared;
  try {
    prepared = engine.prepare(item, undefined, () => engine.abortRid(item.rid));
  } catch (error) {
    if (error instanceof RequestRejected) return openAiError(res, 400, error.message);
    throw error;
  }
  const disconnect = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) disconnect.abort();
  });
  const result = await engine.run(prepared, { signal: disconnect.signal });
  const finish = result.meta_info.finish_reason;
  const finishReason = finish?.type === 'length' ? 'length' : finish?.type === 'abort' ? 'abort' : 'stop';
  const matched = finish?.type === 'stop' ? finish.matched : null;
  const { prompt_tokens: promptTokens, completion_tokens: completionTokens } = result.meta_info;
  sendJson(res, 200, {
    id: result.meta_info.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: typeof body.model === 'string' ? body.model : modelPath,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: result.text, reasoning_content: null, tool_calls: null },
        logprobs: null,
        finish_reason: finishReason,
        matched_stop: matched,
      },
    ],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens, reasoning_tokens: 0, prompt_tokens_details: null },
    metadata: { weight_version: result.meta_info.weight_version ?? engine.weightVersion },
  });
}
