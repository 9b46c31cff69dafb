/**
 * Generates Kuhn poker hands (seeded deals) and a scripted policy that plays them.
 *
 *   npx tsx envs/selfplay/generate.ts [--count 120] [--seed 11] [--out envs/selfplay/data.jsonl]
 *                                     [--script envs/selfplay/scripted.json]
 *
 * Deterministic for a seed. The scripted policy plays a fixed, simple strategy (bet or call with
 * a K, check or fold with a J, a Q checks and calls a bet), so both seats win some hands; every
 * tenth hand player 1 answers with an illegal move so the illegal path shows up in rollouts.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { mulberry32 } from '../../src/rollout/seeded-shuffle.ts';
import { CARDS, legalMoves, seatToMove, type Card, type Move } from './kuhn.ts';
import type { KuhnTask } from './index.ts';

export function dealHand(rand: () => number, id: string): KuhnTask {
  const first = Math.floor(rand() * 3);
  const second = (first + 1 + Math.floor(rand() * 2)) % 3;
  return { id, cards: [CARDS[first]!, CARDS[second]!] };
}

/** The scripted strategy's move with `card` after `history`. */
export function simpleMove(card: Card, history: readonly Move[]): Move {
  const legal = legalMoves(history);
  if (legal.includes('bet')) return card === 'K' ? 'bet' : 'check';
  return card === 'J' ? 'fold' : 'call';
}

/**
 * A reply as Qwen3 writes it with thinking on, the reasoning block left empty: the template drops
 * past reasoning from history, so a filled one would fork the seat's sample at its next turn.
 */
export const reply = (thought: string, move: string): string => `<think>\n\n</think>\n\n${thought}\nAction: ${move}`;

/** Each seat's scripted replies for one hand (the game is deterministic under a fixed strategy). */
export function scriptedHand(task: KuhnTask, illegalSecondSeat: boolean): { player0: string[]; player1: string[] } {
  const history: Move[] = [];
  const turns: { player0: string[]; player1: string[] } = { player0: [], player1: [] };
  while (legalMoves(history).length > 0) {
    const seat = seatToMove(history);
    const card = task.cards[seat];
    if (seat === 1 && illegalSecondSeat) {
      turns.player1.push(reply(`I hold ${card}.`, 'raise'));
      break;
    }
    const move = simpleMove(card, history);
    turns[seat === 0 ? 'player0' : 'player1'].push(reply(`I hold ${card}; ${move}.`, move));
    history.push(move);
  }
  return turns;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '120' },
      seed: { type: 'string', default: '11' },
      out: { type: 'string', default: 'envs/selfplay/data.jsonl' },
      script: { type: 'string', default: 'envs/selfplay/scripted.json' },
    },
  });
  const rand = mulberry32(Number(values.seed));
  const count = Number(values.count);
  const tasks = Array.from({ length: count }, (_, i) => dealHand(rand, `kuhn-${String(i).padStart(4, '0')}`));
  writeFileSync(values.out, tasks.map((t) => JSON.stringify(t)).join('\n') + '\n');
  const episodes = tasks.flatMap((task, i) => {
    const turns = scriptedHand(task, i % 10 === 9);
    // "Hand <id>." is unique per task and in each seat's first prompt.
    return (['player0', 'player1'] as const).filter((role) => turns[role].length > 0).map((role) => ({ task: `Hand ${task.id}.`, role, turns: turns[role] }));
  });
  writeFileSync(values.script, JSON.stringify({ episodes }, null, 1) + '\n');
  console.log(`wrote ${tasks.length} hands to ${values.out} and their scripted policy to ${values.script}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
