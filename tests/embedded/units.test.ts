// The embedded engine's pure parts, at their edges: the pause gate, prefix matching, stop
// trimming and sampling plans (session trees: tests/engine/session-store.test.ts).
import { describe, expect, it } from 'vitest';
import { PauseGate } from '../../src/engine/embedded/pause-gate.ts';
import { commonPrefixLength } from '../../src/engine/embedded/slot-pool.ts';
import { trimAtStop } from '../../src/engine/embedded/stop-matcher.ts';

describe('PauseGate', () => {
  it('holds waiters while closed, releases them on open, and lets a signal give up', async () => {
    const gate = new PauseGate();
    await gate.wait();
    gate.close();
    let released = false;
    const waiting = gate.wait().then(() => (released = true));
    const controller = new AbortController();
    const giveUp = gate.wait(controller.signal);
    controller.abort(new Error('stop waiting'));
    await expect(giveUp).rejects.toThrow('stop waiting');
    await Promise.resolve();
    expect(released).toBe(false);
    gate.open();
    await waiting;
    expect(released).toBe(true);
    expect(gate.isClosed).toBe(false);
  });
});

describe('helpers', () => {
  it('commonPrefixLength stops at the first difference or the shorter end', () => {
    expect(commonPrefixLength([1, 2, 3], [1, 2, 4])).toBe(2);
    expect(commonPrefixLength([1, 2], [1, 2, 3])).toBe(2);
    expect(commonPrefixLength([], [1])).toBe(0);
  });

  it('trimAtStop cuts at the first occurrence and leaves text without the stop alone', () => {
    expect(trimAtStop('abc</s>def</s>', { matched: '</s>' })).toBe('abc');
    expect(trimAtStop('abc', { matched: 'x' })).toBe('abc');
  });
});

describe('buildSamplingPlan', () => {
  const context = { model: {} as never, eosTokenIds: [258], promptLength: 10, contextSize: 1000, sampleIndex: 0 };

  it('applies SGLang defaults with no hidden filtering', async () => {
    const { buildSamplingPlan } = await import('../../src/engine/embedded/sampling-plan.ts');
    const plan = buildSamplingPlan({ sampling_seed: 5 }, context);
    expect(plan).toMatchObject({ maxNewTokens: 128, temperature: 1, topK: 0, topP: 1, minP: 0, seed: 5 });
    expect([...plan.stopTokenIds]).toEqual([258]);
    expect(plan.stopMatcher.active).toBe(false);
    expect(buildSamplingPlan({ temperature: 1e-7, top_k: 5, sampling_seed: 5 }, { ...context, sampleIndex: 2 })).toMatchObject({ temperature: 0, topK: 5, seed: 7 });
    expect([...buildSamplingPlan({ ignore_eos: true, stop_token_ids: [7] }, context).stopTokenIds]).toEqual([7]);
    expect(buildSamplingPlan({ max_new_tokens: null }, context).maxNewTokens).toBe(990);
  });

  it('refuses what it cannot honour and names it', async () => {
    const { buildSamplingPlan } = await import('../../src/engine/embedded/sampling-plan.ts');
    expect(() => buildSamplingPlan({ json_schema: '{}' }, context)).toThrow('sampling_params.json_schema is not supported by the embedded llama.cpp engine.');
    expect(() => buildSamplingPlan({ min_new_tokens: 2 }, context)).toThrow(/min_new_tokens > 0/);
    expect(() => buildSamplingPlan({ stop_regex: '(' }, context)).toThrow(/^Invalid stop_regex "\(":/);
    expect(() => buildSamplingPlan({ max_new_tokens: 991 }, context)).toThrow(/maximum context length of 1000 tokens\. You requested a total of 1001 tokens/);
    expect(() => buildSamplingPlan({}, { ...context, promptLength: 1000 })).toThrow("The input (1000 tokens) is longer than the model's context length (1000 tokens).");
  });
});
