/** Checks on what callers hand the TokenLedger, so bad input fails at the call that brought it. */
import { InvalidInputError } from '../protocol/errors.ts';
import { ChatMessageRecord } from '../protocol/sample.ts';
import type { ChatMessage } from './messages.ts';

/** Ids of one turn that one generate call produced, under one weight version. */
export interface SampledPiece {
  count: number;
  weightVersion: string;
}

export interface SampledTurn {
  /** Ids exactly as the engine returned them, the stop token included when there was one. */
  ids: number[];
  logProbs: number[];
  /** The weight version of the (last) generate call that produced `ids`. */
  weightVersion: string;
  /**
   * When earlier generate calls produced the first ids of this same turn (an abort cut it and a
   * later call resumed it, perhaps after a weight update): those calls' pieces, oldest first. The
   * ids after them belong to `weightVersion`.
   */
  earlier?: SampledPiece[];
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
  if (turn.earlier !== undefined) {
    if (!Array.isArray(turn.earlier) || turn.earlier.some((p) => !Number.isInteger(p?.count) || p.count < 0 || typeof p.weightVersion !== 'string'))
      throw new InvalidInputError('appendSampled: earlier must be a list of { count: non-negative integer, weightVersion: string }');
    const covered = turn.earlier.reduce((sum, p) => sum + p.count, 0);
    if (covered > turn.ids.length) throw new InvalidInputError(`appendSampled: earlier pieces cover ${covered} ids, the turn has ${turn.ids.length}`);
  }
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

/**
 * The generate calls behind a sampled turn, oldest first, each with the offset of its first id:
 * the earlier pieces, then the rest under `weightVersion`.
 */
export function sampledPieces(turn: Pick<SampledTurn, 'ids' | 'weightVersion' | 'earlier'>): Array<SampledPiece & { offset: number }> {
  const pieces: Array<SampledPiece & { offset: number }> = [];
  let offset = 0;
  for (const piece of turn.earlier ?? []) {
    pieces.push({ ...piece, offset });
    offset += piece.count;
  }
  pieces.push({ count: turn.ids.length - offset, weightVersion: turn.weightVersion, offset });
  return pieces;
}
