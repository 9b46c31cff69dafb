// The ledger over the byte-level tokenizer and plain ChatML template of the tiny CPU models
// (files inlined in tests/vectors/tokenizer-bytes.json): an append-only template, so the ledger
// must equal a fresh tokenization turn after turn, and never fork.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadChatTemplate, TemplateError } from '../../src/chat/chat-template.ts';
import type { ChatMessage } from '../../src/chat/messages.ts';
import { TokenLedger } from '../../src/chat/token-ledger.ts';
import { createTokenizer, type LoadedTokenizerFiles } from '../../src/chat/tokenizer.ts';

const vectors = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../vectors/tokenizer-bytes.json'), 'utf8'));
const files: LoadedTokenizerFiles = { dir: 'bytes', tokenizerJson: vectors.tokenizerJson, tokenizerConfig: vectors.tokenizerConfig };
const tokenizer = createTokenizer(files);
const template = loadChatTemplate(files);
const imEnd = tokenizer.tokenToId('<|im_end|>')!;

function turn(text: string, stop = true) {
  const ids = [...tokenizer.encode(text), ...(stop ? [imEnd] : [])];
  return { ids, logProbs: ids.map(() => -1), weightVersion: 'v0', message: { role: 'assistant' as const, content: text } };
}

describe('TokenLedger over the byte tokenizer and ChatML', () => {
  it('stays equal to a fresh tokenization of the conversation and never forks', () => {
    const ledger = new TokenLedger({ tokenizer, template });
    const history: ChatMessage[] = [{ role: 'user', content: 'add 2 and 3 🙂' }];
    ledger.start(history);
    for (let t = 0; t < 4; t++) {
      const reply = turn(`step ${t}: ${'x'.repeat(t)}`);
      ledger.appendSampled(reply);
      const next: ChatMessage = t % 2 ? { role: 'user', content: `go on ${t}` } : { role: 'tool', content: `result ${t}`, toolCallId: `c${t}` };
      ledger.appendMessages([next]);
      history.push(reply.message, next);
      expect(ledger.inputIds).toEqual(tokenizer.encode(template.render(history, { addGenerationPrompt: true })));
    }
    expect(ledger.forkCount).toBe(0);
    const [segment] = ledger.segments();
    expect(segment!.turns).toBe(4);
    expect(segment!.spans.filter((s) => s.kind === 'user').length + segment!.spans.filter((s) => s.kind === 'tool').length).toBe(3);
  });

  it('leaves its state unchanged when the template throws', () => {
    const picky = loadChatTemplate(files, {
      chatTemplate: "{% for m in messages %}{% if m.content == 'boom' %}{{ raise_exception('no boom') }}{% endif %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
    });
    const ledger = new TokenLedger({ tokenizer, template: picky });
    expect(() => ledger.start([{ role: 'user', content: 'boom' }])).toThrow(TemplateError);
    ledger.start([{ role: 'user', content: 'hi' }]);
    ledger.appendSampled(turn('hello'));
    const before = JSON.stringify(ledger.snapshot());
    expect(() => ledger.appendMessages([{ role: 'user', content: 'boom' }])).toThrow(/no boom/);
    expect(JSON.stringify(ledger.snapshot())).toBe(before);
    ledger.appendMessages([{ role: 'user', content: 'fine' }]);
    expect(ledger.messages.map((m) => m.content)).toEqual(['hi', 'hello', 'fine']);
  });
});
