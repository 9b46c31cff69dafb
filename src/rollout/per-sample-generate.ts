/**
 * Lift a per-sample generate hook (one episode per call, like slime's custom generate function)
 * into a group generate: the group's slots run concurrently, and a slot whose hook throws fails
 * alone, with a typed status, while its siblings finish.
 */
import { statusForError } from '../protocol/failure-status.ts';
import { errorMessage, failureSample } from './group-state.ts';
import type { GroupGenerateHook, SampleGenerateHook, SlotOutcome } from './hooks.ts';

export function perSampleGenerate(hook: SampleGenerateHook): GroupGenerateHook {
  return async (context) =>
    Promise.all(
      context.slots.map(async (request): Promise<SlotOutcome> => {
        const { slots: _slots, n: _n, ...shared } = context;
        try {
          // Each episode listens on a signal of its own: its in-flight requests and tool calls each
          // add an abort listener, and n episodes on the group's signal passed Node's limit of 10
          // (MaxListenersExceededWarning). AbortSignal.any follows the group without a listener.
          const result = await hook({ ...shared, ...request, signal: AbortSignal.any([context.signal]) });
          if (Array.isArray(result)) return { slot: request.slot, samples: result };
          if (result && typeof result === 'object' && 'samples' in result && Array.isArray(result.samples))
            return { slot: request.slot, samples: result.samples, snapshot: result.snapshot };
          return { slot: request.slot, samples: [result as never] };
        } catch (error) {
          // An abort we asked for keeps what the slot had, so the group can resume it later.
          if (context.signal.aborted) return { slot: request.slot, samples: request.resume?.samples ?? [], snapshot: request.resume?.snapshot };
          const status = statusForError(error);
          const { prompt, groupIndex } = context;
          return { slot: request.slot, samples: [failureSample({ prompt, groupIndex, index: request.index, rolloutId: request.rolloutId, status, reason: errorMessage(error) })] };
        }
      }),
    );
}
