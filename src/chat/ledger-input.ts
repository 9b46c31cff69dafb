/** Checks on what callers hand the TokenLedger, so bad input fails at the call that brought it. */
import { InvalidInputError } from '../protocol/errors.ts';
import { ChatMessageRecord } from '../protocol/sample.ts';
import type { ChatMessage } from './messages.ts';

export interface SampledTurn {
  /** Ids exactly as the engine returned them, the stop token included when there was one. */
  ids: number[];
  logProbs: number[];
  weightVersion: string;
  /** The parsed assistant message, as it goes into the history. */
  message: ChatMessage;
}

export function checkSampledTurn(turn: SampledTurn): void {
  if (!Array.isArray(turn.ids) || turn.ids.some((id) => !Number.isInteger(id) || id < 0))
    throw new InvalidInputError('appendSampled: ids must be non-negative integers');
  if (!Array.isArray(turn.logProbs) || turn.logProbs.length !== turn.ids.length)
    throw new InvalidInputError(`appendSampled: ${turn.logProbs?.length} logProbs for ${turn.ids.length} ids`);
  if (turn.logProbs.some((p) => typeof p !== 'number' || Number.isNaN(p)))
    throw new InvalidInputError('appendSampled: logProbs must be numbers');
  if (typeof turn.weightVersion !== 'string') throw new InvalidInputError('appendSampled: weightVersion must be a string');
  if (turn.message?.role !== 'assistant')
    throw new InvalidInputError(`appendSampled: message.role must be 'assistant', got '${turn.message?.role}'`);
}

export function checkMessages(messages: ChatMessage[], where: string): void {
  if (!Array.isArray(messages)) throw new InvalidInputError(`${where}: messages must be an array`);
  messages.forEach((message, i) => {
    const parsed = ChatMessageRecord.safeParse(message);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ');
      throw new InvalidInputError(`${where}: messages[${i}] is not a chat message: ${issues}`);
    }
  });
}
