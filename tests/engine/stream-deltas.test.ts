import { describe, expect, it } from 'vitest';
import { StreamDeltaTracker } from '../../src/engine/client/stream-deltas.ts';
import type { GenerateResponse, LogprobTuple } from '../../src/protocol/sglang-types.ts';

const chunk = (text: string, ids: number[], lps: LogprobTuple[], index?: number): GenerateResponse => ({
  text,
  output_ids: ids,
  meta_info: { id: 'r', finish_reason: null, prompt_tokens: 1, completion_tokens: ids.length, cached_tokens: 0, output_token_logprobs: lps },
  ...(index === undefined ? {} : { index }),
});

describe('StreamDeltaTracker', () => {
  it('diffs cumulative chunks per batch index', () => {
    const tracker = new StreamDeltaTracker();
    const a1 = tracker.next(chunk('He', [1], [[-0.1, 1, null]], 0));
    const b1 = tracker.next(chunk('X', [9], [[-0.2, 9, null]], 1));
    const a2 = tracker.next(chunk('Hello', [1, 2], [[-0.1, 1, null], [-0.3, 2, null]], 0));
    expect([a1.delta_text, b1.delta_text, a2.delta_text]).toEqual(['He', 'X', 'llo']);
    expect(a2.delta_output_ids).toEqual([2]);
    expect(a2.delta_output_token_logprobs).toEqual([[-0.3, 2, null]]);
    expect(a2.output_ids).toEqual([1, 2]);
  });

  it('with --incremental-streaming-output, chunks are deltas and the cumulative view is rebuilt', () => {
    const tracker = new StreamDeltaTracker(true);
    tracker.next(chunk('He', [1], [[-0.1, 1, null]]));
    const second = tracker.next(chunk('llo', [2, 3], [[-0.3, 2, null], [null, 3, null]]));
    expect(second.delta_text).toBe('llo');
    expect(second.delta_output_ids).toEqual([2, 3]);
    expect(second.text).toBe('Hello');
    expect(second.output_ids).toEqual([1, 2, 3]);
    expect(second.meta_info.output_token_logprobs).toEqual([[-0.1, 1, null], [-0.3, 2, null], [null, 3, null]]);
  });
});
