import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadChatTemplate } from '../../src/chat/chat-template.ts';
import { createTokenizer, type LoadedTokenizerFiles } from '../../src/chat/tokenizer.ts';
import { conversationSample, parseConversation } from '../../src/driver/sft-samples.ts';
import { Sample } from '../../src/protocol/sample.ts';

const vectors = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../vectors/tokenizer-bytes.json'), 'utf8'));
const files: LoadedTokenizerFiles = { dir: 'bytes', tokenizerJson: vectors.tokenizerJson, tokenizerConfig: vectors.tokenizerConfig };
const chat = { tokenizer: createTokenizer(files), template: loadChatTemplate(files) };
const ids = { index: 0, groupIndex: 0, rolloutId: 'sft-0', where: 'row 0' };

describe('SFT samples', () => {
  it('are token-exact renders of the conversation, trained on the assistant turns only', () => {
    const conversation = parseConversation({ messages: [{ role: 'user', content: '12+34=' }, { role: 'assistant', content: '46' }] }, 'row 0');
    const sample = Sample.parse(conversationSample(conversation, chat, ids));
    const full = chat.tokenizer.encode(chat.template.render(conversation.messages, { addGenerationPrompt: false }));
    expect(sample.tokens).toEqual(full);
    const trained = sample.tokens.slice(sample.tokens.length - sample.responseLength).filter((_, i) => sample.lossMask[i] === 1);
    expect(chat.tokenizer.decode(trained)).toMatch(/^46<\|im_end\|>/);
    expect(chat.tokenizer.decode(sample.tokens.slice(0, sample.tokens.length - sample.responseLength))).toMatch(/12\+34=<\|im_end\|>\n<\|im_start\|>assistant\n$/);
  });

  it('mask a user turn between two assistant turns', () => {
    const conversation = parseConversation({
      messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }, { role: 'assistant', content: 'd' }],
    }, 'row 1');
    const sample = conversationSample(conversation, chat, ids);
    const response = sample.tokens.slice(sample.tokens.length - sample.responseLength);
    const trained = chat.tokenizer.decode(response.filter((_, i) => sample.lossMask[i] === 1));
    expect(trained).toContain('b');
    expect(trained).toContain('d');
    expect(trained).not.toContain('c');
  });

  it('bad rows are named', () => {
    expect(() => parseConversation({ messages: [{ role: 'user', content: 'x' }] }, 'f.jsonl row 3')).toThrow('f.jsonl row 3: no assistant message');
    expect(() => parseConversation({ msgs: [] }, 'f.jsonl row 4')).toThrow('f.jsonl row 4: expected { "messages": [...] }');
  });
});
