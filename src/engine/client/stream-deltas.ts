/**
 * Turn SGLang's stream chunks into `StreamChunk`s that carry both views: the cumulative fields as
 * sent, and the deltas since the previous chunk of the same batch `index` (docs/architecture.md, wire §1.5).
 */
import type { GenerateResponse, LogprobTuple, StreamChunk } from '../../protocol/sglang-types.ts';

interface Seen {
  textLength: number;
  idsLength: number;
  logprobsLength: number;
  ids: number[];
  text: string;
  logprobs: LogprobTuple[];
}

export class StreamDeltaTracker {
  private readonly seen = new Map<number, Seen>();

  /** `incremental`: the server runs with `--incremental-streaming-output`, so chunks already are deltas. */
  constructor(private readonly incremental = false) {}

  next(raw: GenerateResponse): StreamChunk {
    const index = raw.index ?? 0;
    const outputIds = raw.output_ids ?? [];
    const text = raw.text ?? '';
    const logprobs = raw.meta_info?.output_token_logprobs ?? [];
    const previous = this.seen.get(index) ?? { textLength: 0, idsLength: 0, logprobsLength: 0, ids: [], text: '', logprobs: [] };
    if (this.incremental) {
      const ids = [...previous.ids, ...outputIds];
      const all = previous.text + text;
      const lps = [...previous.logprobs, ...logprobs];
      this.seen.set(index, { textLength: all.length, idsLength: ids.length, logprobsLength: lps.length, ids, text: all, logprobs: lps });
      return {
        ...raw,
        text: all,
        output_ids: ids,
        meta_info: { ...raw.meta_info, output_token_logprobs: lps },
        delta_text: text,
        delta_output_ids: outputIds,
        delta_output_token_logprobs: logprobs,
      };
    }
    // "Abort in waiting queue" streams carry only the last id, not the cumulative list: a shorter
    // list than before is not new output, so it yields an empty delta and keeps what we had.
    const shrunk = outputIds.length < previous.idsLength;
    const chunk: StreamChunk = {
      ...raw,
      ...(shrunk ? { output_ids: previous.ids, text: previous.text } : {}),
      delta_text: shrunk ? '' : text.slice(previous.textLength),
      delta_output_ids: shrunk ? [] : outputIds.slice(previous.idsLength),
      delta_output_token_logprobs: shrunk ? [] : logprobs.slice(previous.logprobsLength),
    };
    if (!shrunk) {
      this.seen.set(index, {
        textLength: text.length,
        idsLength: outputIds.length,
        logprobsLength: logprobs.length,
        ids: outputIds,
        text,
        logprobs,
      });
    }
    return chunk;
  }
}
