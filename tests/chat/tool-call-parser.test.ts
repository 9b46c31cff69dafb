import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseAssistant, splitReasoning } from '../../src/chat/tool-call-parser.ts';

const tools = {
  read_file: { inputSchema: z.object({ path: z.string(), limit: z.number().int().optional() }) },
  submit: { inputSchema: z.object({ answer: z.string() }) },
};

describe('parseAssistant (hermes)', () => {
  it('splits reasoning, content and several tool calls in one turn', () => {
    const text =
      '<think>\nI should read both files.\n</think>\n\nReading now.\n<tool_call>\n{"name": "read_file", "arguments": {"path": "a.txt"}}\n</tool_call>\n<tool_call>\n{"name": "read_file", "arguments": {"path": "b.txt", "limit": 3}}\n</tool_call><|im_end|>';
    const parsed = parseAssistant(text, { format: 'hermes', tools, reasoning: true, idPrefix: 't0' });
    expect(parsed).toEqual({
      content: 'Reading now.',
      reasoningContent: 'I should read both files.',
      toolCalls: [
        { id: 't0_0', name: 'read_file', arguments: { path: 'a.txt' } },
        { id: 't0_1', name: 'read_file', arguments: { path: 'b.txt', limit: 3 } },
      ],
      errors: [],
    });
  });

  it('keeps <think> in the content when reasoning is off', () => {
    const parsed = parseAssistant('<think>x</think>answer', { format: 'hermes' });
    expect(parsed.content).toBe('<think>x</think>answer');
    expect(parsed.reasoningContent).toBeUndefined();
  });

  it('turns malformed calls into errors, keeping the good ones', () => {
    const text = [
      '<tool_call>{"name": "read_file", "arguments": {"path": }</tool_call>',
      '<tool_call>{"name": "rm_rf", "arguments": {}}</tool_call>',
      '<tool_call>{"name": "read_file", "arguments": {"path": 7}}</tool_call>',
      '<tool_call>{"arguments": {"path": "x"}}</tool_call>',
      '<tool_call>{"name": "submit", "arguments": "{\\"answer\\": \\"42\\"}"}</tool_call>',
    ].join('\n');
    const parsed = parseAssistant(text, { format: 'hermes', tools, idPrefix: 'c' });
    expect(parsed.errors.map((e) => [e.kind, e.toolCallId, e.name])).toEqual([
      ['invalid_json', 'c_0', undefined],
      ['unknown_tool', 'c_1', 'rm_rf'],
      ['invalid_arguments', 'c_2', 'read_file'],
      ['missing_name', 'c_3', undefined],
    ]);
    expect(parsed.errors[1]!.message).toContain('available: read_file, submit');
    expect(parsed.errors[2]!.message).toMatch(/^invalid arguments for read_file: path: /);
    expect(parsed.errors[0]!.raw).toBe('{"name": "read_file", "arguments": {"path": }');
    // A JSON-encoded string of arguments is accepted, as OpenAI-style models emit it.
    expect(parsed.toolCalls).toEqual([{ id: 'c_4', name: 'submit', arguments: { answer: '42' } }]);
  });

  it('reports a call cut off before </tool_call> (length-truncated turn)', () => {
    const parsed = parseAssistant('<think>plan</think>\n<tool_call>\n{"name": "read_file", "argu', {
      format: 'hermes',
      tools,
      reasoning: true,
      idPrefix: 'x',
    });
    expect(parsed.toolCalls).toEqual([]);
    expect(parsed.errors).toEqual([
      { kind: 'invalid_json', message: 'tool call is not closed with </tool_call>', raw: '{"name": "read_file", "argu', toolCallId: 'x_0' },
    ]);
    expect(parsed.content).toBe('');
  });

  it('does not accept inherited property names as tools', () => {
    const parsed = parseAssistant('<tool_call>{"name": "constructor", "arguments": {}}</tool_call>', { format: 'hermes', tools });
    expect(parsed.errors[0]!.kind).toBe('unknown_tool');
  });

  it('rejects non-object arguments and non-object calls', () => {
    const parsed = parseAssistant('<tool_call>{"name": "submit", "arguments": [1]}</tool_call><tool_call>[1]</tool_call>', { format: 'hermes' });
    expect(parsed.errors.map((e) => e.kind)).toEqual(['invalid_arguments', 'invalid_json']);
  });

  it('gives random SGLang-style ids without idPrefix', () => {
    const parsed = parseAssistant('<tool_call>{"name": "submit", "arguments": {"answer": "a"}}</tool_call>', { format: 'hermes' });
    expect(parsed.toolCalls[0]!.id).toMatch(/^call_[0-9a-f]{24}$/);
  });
});

describe('parseAssistant (json)', () => {
  it('reads one Llama-style call with parameters', () => {
    const parsed = parseAssistant('{"name": "submit", "parameters": {"answer": "4"}}', { format: 'json', tools, idPrefix: 'j' });
    expect(parsed).toEqual({ content: '', toolCalls: [{ id: 'j_0', name: 'submit', arguments: { answer: '4' } }], errors: [] });
  });

  it('reads an array, and `;`-separated calls after <|python_tag|>', () => {
    const a = parseAssistant('[{"name": "submit", "parameters": {"answer": "a;b"}}, {"name": "nope"}]', { format: 'json', tools, idPrefix: 'j' });
    expect(a.toolCalls).toEqual([{ id: 'j_0', name: 'submit', arguments: { answer: 'a;b' } }]);
    expect(a.errors.map((e) => e.kind)).toEqual(['unknown_tool']);
    const b = parseAssistant('<|python_tag|>{"name": "submit", "parameters": {"answer": "x;y"}}; {"name": "read_file", "parameters": {"path": "p"}}<|eom_id|>', {
      format: 'json',
      tools,
      idPrefix: 'j',
    });
    expect(b.toolCalls.map((c) => c.arguments)).toEqual([{ answer: 'x;y' }, { path: 'p' }]);
  });

  it('treats prose as content and broken JSON as an error', () => {
    expect(parseAssistant('The answer is 4.', { format: 'json' })).toEqual({ content: 'The answer is 4.', toolCalls: [], errors: [] });
    const broken = parseAssistant('{"name": "submit", "parameters": {', { format: 'json', idPrefix: 'j' });
    expect(broken.errors.map((e) => e.kind)).toEqual(['invalid_json']);
    const brokenArray = parseAssistant('[{"name": ', { format: 'json', idPrefix: 'j' });
    expect(brokenArray.errors.map((e) => e.kind)).toEqual(['invalid_json']);
  });

  it('splits reasoning before reading the call', () => {
    const parsed = parseAssistant('<think>use submit</think>{"name": "submit", "parameters": {"answer": "1"}}', { format: 'json', reasoning: true, idPrefix: 'j' });
    expect(parsed.reasoningContent).toBe('use submit');
    expect(parsed.toolCalls).toHaveLength(1);
  });
});

describe('splitReasoning', () => {
  it('handles a missing opening tag (template put <think> in the prompt)', () => {
    expect(splitReasoning('plan\n</think>\n\nanswer')).toEqual({ reasoningContent: 'plan', content: '\n\nanswer' });
  });
  it('treats an unclosed block as reasoning only', () => {
    expect(splitReasoning('<think>\nstill thinking')).toEqual({ reasoningContent: 'still thinking', content: '' });
  });
  it('leaves text without think tags alone', () => {
    expect(splitReasoning('plain')).toEqual({ content: 'plain' });
  });
});
