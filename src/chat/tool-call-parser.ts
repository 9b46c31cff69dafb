/**
 * Parsing an assistant turn's text into content, reasoning and tool calls. A malformed call never
 * throws: it becomes a `ToolCallError` the episode shows to the model as a tool error and counts.
 *
 * Formats:
 * - `hermes` (Qwen2.5/Qwen3, Hermes): each call is `<tool_call>{"name": .., "arguments": {..}}</tool_call>`
 *   anywhere in the text; the text outside the tags is the content.
 * - `json` (Llama 3.1+ JSON tool calling): the whole message, optionally after `<|python_tag|>`, is one
 *   call object `{"name": .., "parameters": {..}}`, a JSON array of them, or several separated by `;`.
 *   A message that starts with `{`, `[` or `<|python_tag|>` is read as calls; anything else is content.
 * Both formats accept `arguments` or `parameters`, as an object or as a JSON-encoded string.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ToolCall } from './messages.ts';

export type ToolCallFormat = 'hermes' | 'json';

export interface ToolCallError {
  kind: 'invalid_json' | 'unknown_tool' | 'invalid_arguments' | 'missing_name';
  message: string;
  /** The call's text as the model wrote it. */
  raw: string;
  toolCallId: string;
  name?: string;
}

export interface ParsedAssistant {
  content: string;
  reasoningContent?: string;
  toolCalls: ToolCall[];
  errors: ToolCallError[];
}

/** What the parser needs of a tool: its input schema (a `ToolSet` fits). */
export type ParserTools = Readonly<Record<string, { inputSchema: z.ZodType }>>;

export interface ParseAssistantOptions {
  format: ToolCallFormat;
  /** When given, call names must be keys of it and arguments must pass its zod schema. */
  tools?: ParserTools;
  /** Split `<think>…</think>` reasoning from the content. */
  reasoning?: boolean;
  /** Call ids become `${idPrefix}_${i}` (deterministic); without it, random `call_<24 hex>` as SGLang does. */
  idPrefix?: string;
}

const THINK_OPEN = '<think>';
const THINK_CLOSE = '</think>';
// End-of-turn markers an engine's raw text may still carry; they are never content.
const TRAILING_END_MARKERS = ['<|im_end|>', '<|endoftext|>', '<|eot_id|>', '<|eom_id|>'];

function stripEndMarkers(text: string): string {
  for (let changed = true; changed; ) {
    changed = false;
    for (const marker of TRAILING_END_MARKERS)
      if (text.endsWith(marker)) {
        text = text.slice(0, -marker.length);
        changed = true;
      }
  }
  return text;
}

/**
 * Reasoning is the text before `</think>` (minus an opening `<think>`, which some templates put in
 * the generation prompt instead). An opened but never closed block (a turn cut by length) is all reasoning.
 */
export function splitReasoning(text: string): { content: string; reasoningContent?: string } {
  const close = text.indexOf(THINK_CLOSE);
  if (close >= 0) {
    const before = text.slice(0, close);
    const open = before.indexOf(THINK_OPEN);
    const reasoning = open >= 0 ? before.slice(open + THINK_OPEN.length) : before;
    return { reasoningContent: reasoning.trim(), content: text.slice(close + THINK_CLOSE.length) };
  }
  const trimmed = text.trimStart();
  if (trimmed.startsWith(THINK_OPEN)) return { reasoningContent: trimmed.slice(THINK_OPEN.length).trim(), content: '' };
  return { content: text };
}

function newCallId(options: ParseAssistantOptions, index: number): string {
  return options.idPrefix === undefined ? `call_${randomBytes(12).toString('hex')}` : `${options.idPrefix}_${index}`;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(arguments)'}: ${issue.message}`)
    .join('; ');
}

/** Turn one decoded call object into a ToolCall or a ToolCallError. */
function toToolCall(value: unknown, raw: string, id: string, tools: ParserTools | undefined): ToolCall | ToolCallError {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { kind: 'invalid_json', message: 'a tool call must be a JSON object with "name" and "arguments"', raw, toolCallId: id };
  const record = value as Record<string, unknown>;
  const name = record.name;
  if (typeof name !== 'string' || name.length === 0)
    return { kind: 'missing_name', message: 'the tool call has no "name" string', raw, toolCallId: id };
  let args = record.arguments ?? record.parameters ?? {};
  if (typeof args === 'string') {
    try {
      args = JSON.parse(args);
    } catch (error) {
      return { kind: 'invalid_json', message: `arguments of ${name} are a string that is not JSON: ${(error as Error).message}`, raw, toolCallId: id, name };
    }
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args))
    return { kind: 'invalid_arguments', message: `arguments of ${name} must be a JSON object`, raw, toolCallId: id, name };
  if (tools) {
    const definition = Object.hasOwn(tools, name) ? tools[name] : undefined;
    if (!definition)
      return { kind: 'unknown_tool', message: `unknown tool '${name}' (available: ${Object.keys(tools).join(', ') || 'none'})`, raw, toolCallId: id, name };
    const checked = definition.inputSchema.safeParse(args);
    if (!checked.success)
      return { kind: 'invalid_arguments', message: `invalid arguments for ${name}: ${describeIssues(checked.error)}`, raw, toolCallId: id, name };
  }
  return { id, name, arguments: args as Record<string, unknown> };
}

function collect(results: Array<ToolCall | ToolCallError>): { toolCalls: ToolCall[]; errors: ToolCallError[] } {
  const toolCalls: ToolCall[] = [];
  const errors: ToolCallError[] = [];
  for (const result of results) {
    if ('kind' in result) errors.push(result);
    else toolCalls.push(result);
  }
  return { toolCalls, errors };
}

function parseJsonCall(raw: string, id: string, tools: ParserTools | undefined): ToolCall | ToolCallError {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    return { kind: 'invalid_json', message: `tool call is not valid JSON: ${(error as Error).message}`, raw, toolCallId: id };
  }
  return toToolCall(value, raw, id, tools);
}

const HERMES_CALL = /<tool_call>([\s\S]*?)(?:<\/tool_call>|$)/g;

function parseHermes(text: string, options: ParseAssistantOptions): { content: string; toolCalls: ToolCall[]; errors: ToolCallError[] } {
  const results: Array<ToolCall | ToolCallError> = [];
  let content = '';
  let last = 0;
  for (const match of text.matchAll(HERMES_CALL)) {
    content += text.slice(last, match.index);
    last = match.index + match[0].length;
    const raw = match[1]!.trim();
    const id = newCallId(options, results.length);
    // An unclosed tag at the very end is a call cut short (length limit or stop string).
    if (!match[0].endsWith('</tool_call>'))
      results.push({ kind: 'invalid_json', message: 'tool call is not closed with </tool_call>', raw, toolCallId: id });
    else results.push(parseJsonCall(raw, id, options.tools));
  }
  content += text.slice(last);
  return { content: content.trim(), ...collect(results) };
}

/** Top-level `;`-separated JSON values (Llama 3 emits several calls that way); `;` inside strings is kept. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === ';' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function parseJsonFormat(text: string, options: ParseAssistantOptions): { content: string; toolCalls: ToolCall[]; errors: ToolCallError[] } {
  let body = text.trim();
  const tagged = body.startsWith('<|python_tag|>');
  if (tagged) body = body.slice('<|python_tag|>'.length).trim();
  if (!tagged && !body.startsWith('{') && !body.startsWith('[')) return { content: body, toolCalls: [], errors: [] };
  const results: Array<ToolCall | ToolCallError> = [];
  if (body.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (error) {
      const id = newCallId(options, 0);
      return { content: '', toolCalls: [], errors: [{ kind: 'invalid_json', message: `tool calls are not valid JSON: ${(error as Error).message}`, raw: body, toolCallId: id }] };
    }
    for (const item of value as unknown[]) results.push(toToolCall(item, JSON.stringify(item), newCallId(options, results.length), options.tools));
  } else {
    for (const part of splitTopLevel(body)) results.push(parseJsonCall(part, newCallId(options, results.length), options.tools));
  }
  return { content: '', ...collect(results) };
}

export function parseAssistant(text: string, options: ParseAssistantOptions): ParsedAssistant {
  const { content: afterReasoning, reasoningContent } = options.reasoning
    ? splitReasoning(stripEndMarkers(text))
    : { content: stripEndMarkers(text), reasoningContent: undefined };
  const parsed = options.format === 'hermes' ? parseHermes(afterReasoning, options) : parseJsonFormat(afterReasoning, options);
  return reasoningContent === undefined ? parsed : { ...parsed, reasoningContent };
}
