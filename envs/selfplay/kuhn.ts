/**
 * Kuhn poker, exactly: a deck of J < Q < K, one card each, both ante 1 chip. Player 0 moves first:
 * check or bet 1. After a check, player 1 checks (showdown for the antes) or bets 1, and player 0
 * then calls (showdown for 2 each) or folds. After a bet, player 1 calls (showdown) or folds. The
 * game value for player 0 is -1/18 chip per hand: the first seat is at a known disadvantage.
 */
export const CARDS = ['J', 'Q', 'K'] as const;
export type Card = (typeof CARDS)[number];
export const MOVES = ['check', 'bet', 'call', 'fold'] as const;
export type Move = (typeof MOVES)[number];
export type Seat = 0 | 1;

/** Legal moves after `history`, or [] when the hand is over. */
export function legalMoves(history: readonly Move[]): Move[] {
  const h = history.join(' ');
  if (h === '') return ['check', 'bet'];
  if (h === 'check') return ['check', 'bet'];
  if (h === 'bet' || h === 'check bet') return ['call', 'fold'];
  return [];
}

/** The seat to move after `history` (seats alternate, player 0 first). */
export function seatToMove(history: readonly Move[]): Seat {
  return (history.length % 2) as Seat;
}

export interface Outcome {
  winner: Seat;
  /** Net chips won by the winner (the loser loses as many): 1 or 2. */
  chips: number;
  showdown: boolean;
}

/** The result of a finished hand; undefined while moves remain. */
export function outcome(history: readonly Move[], cards: readonly [Card, Card]): Outcome | undefined {
  if (legalMoves(history).length > 0) return undefined;
  const last = history.at(-1);
  if (last === 'fold') return { winner: (1 - seatToMove(history.slice(0, -1))) as Seat, chips: 1, showdown: false };
  const high: Seat = CARDS.indexOf(cards[0]) > CARDS.indexOf(cards[1]) ? 0 : 1;
  return { winner: high, chips: last === 'call' ? 2 : 1, showdown: true };
}

/** Net chips of `seat` at the end of a hand. */
export function chipsOf(result: Outcome, seat: Seat): number {
  return result.winner === seat ? result.chips : -result.chips;
}
