/**
 * SFT on the RL path: a conversation becomes one token-exact Sample through the model's chat
 * template, with loss mask 1 on the assistant turns' tokens and 0 on everything else, so the
 * trainer batch, wire and worker are the same as for RL (advantage 1, policyLoss "sft").
 *
 * Turn boundaries come from rendering growing prefixes: the tokens an assistant message adds are
 * render(messages[..i+1]) minus render(messages[..i], generation prompt). A template that is not
 * append-only for the conversation (it rewrites earlier turns) is an error naming the row.
 */
import type { ChatMessage } from '../chat/messages.ts';
import type { Chat } from '../chat/chat-template.ts';
import { InvalidInputError } from '../protocol/errors.ts';
import { SAMPLE_SCHEMA_VERSION, type Sample } from '../protocol/sample.ts';

export interface Conversation {
  messages: ChatMessage[];
}

/** Parse one row of an SFT file: `{ messages: [{ role, content }, ...] }` with an assistant turn. */
export function parseConversation(row: unknown, where: string): Conversation {
  const messages = (row as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw new InvalidInputError(`${where}: expected { "messages": [...] }`);
  messages.forEach((m: unknown, i) => {
    const { role, content } = (m ?? {}) as { role?: unknown; content?: unknown };
    if (!['system', 'user', 'assistant', 'tool'].includes(role as string)) throw new InvalidInputError(`${where}: messages.${i}.role is ${JSON.stringify(role)}`);
    if (typeof content !== 'string') throw new InvalidInputError(`${where}: messages.${i}.content is not a string`);
  });
  if (!messages.some((m: { role: string }) => m.role === 'assistant')) throw new InvalidInputError(`${where}: no assistant message to train on`);
  return { messages: messages as ChatMessage[] };
}

const startsWith = (ids: readonly number[], prefix: readonly number[]): boolean => prefix.every((id, i) => ids[i] === id);

/** One SFT sample: prompt = everything before the first assistant turn; response = the rest. */
export function conversationSample(
  conversation: Conversation,
  chat: Chat,
  ids: { index: number; groupIndex: number; rolloutId: string; where: string },
  kwargs?: Record<string, unknown>,
): Sample {
  const { messages } = conversation;
  const render = (upTo: number, generationPrompt: boolean): number[] =>
    chat.tokenizer.encode(chat.template.render(messages.slice(0, upTo), { addGenerationPrompt: generationPrompt, ...(kwargs ? { kwargs } : {}) }));
  const firstAssistant = messages.findIndex((m) => m.role === 'assistant');
  const prompt = render(firstAssistant, true);
  const tokens = [...prompt];
  const lossMask: Array<0 | 1> = [];
  for (let i = firstAssistant; i < messages.length; i++) {
    const assistant = messages[i]!.role === 'assistant';
    // Before an assistant turn the generation prompt (its header) belongs to the context.
    const before = assistant ? render(i, true) : render(i, false);
    const after = render(i + 1, false);
    if (!startsWith(before, tokens) || !startsWith(after, before))
      throw new InvalidInputError(`${ids.where}: the chat template rewrites earlier turns at message ${i}; SFT needs an append-only rendering`);
    for (const id of before.slice(tokens.length)) {
      tokens.push(id);
      lossMask.push(0);
    }
    for (const id of after.slice(before.length)) {
      tokens.push(id);
      lossMask.push(assistant ? 1 : 0);
    }
  }
  const responseLength = tokens.length - prompt.length;
  return {
    schemaVersion: SAMPLE_SCHEMA_VERSION,
    index: ids.index,
    groupIndex: ids.groupIndex,
    rolloutId: ids.rolloutId,
    forkIndex: 0,
    agent: 'policy',
    prompt: messages.slice(0, firstAssistant),
    tokens,
    responseLength,
    response: chat.tokenizer.decode(tokens.slice(prompt.length)),
    lossMask,
    rolloutLogProbs: new Array<number>(responseLength).fill(0),
    reward: 1,
    rewards: {},
    status: 'completed',
    weightVersions: [],
    spans: [
      { kind: 'prompt', start: 0, end: prompt.length, turn: 0 },
      { kind: 'sampled', start: prompt.length, end: tokens.length, turn: 0 },
    ],
    turns: messages.length - firstAssistant,
    metadata: { sft: true },
  };
}
