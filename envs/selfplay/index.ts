/**
 * Self-play Kuhn poker: two seats, one policy. Each seat is a role (`player0`, `player1`) with its
 * own conversation and its own samples; the rules and the seat are in its system prompt. A move is
 * the reply's last `Action: <move>` line. A reply without one, or with a move that is not legal
 * there, counts as a fold by that seat (metric `illegal_moves`); the game never stops on it.
 *
 * Reward `won`: 1 for the seat that wins the hand, 0 for the other. Metrics: `chips` (the seat's
 * net chips, -2..2), `illegal_moves`, `showdown`. Player 0 is at a known disadvantage (-1/18 chip
 * per hand at equilibrium): train it with role-conditioned advantages (docs/data-buffer.md, RAE).
 *
 * A frozen opponent: `new KuhnPokerEnv({ roles: { player1: { trains: false, engine } } })`, or a
 * recipe's `rollout.roles` (docs/envs-multi-agent.md).
 */
import { z } from 'zod';
import { MultiAgentEnv, type AgentRole, type AgentsStepResult, type AssistantReply, type EnvContext, type Message } from '../../src/index.ts';
import { CARDS, chipsOf, legalMoves, MOVES, outcome, seatToMove, type Move, type Seat } from './kuhn.ts';

export const KuhnTask = z.strictObject({
  /** Names the hand in both seats' first prompt (the scripted policy keys on it). */
  id: z.string().min(1),
  /** Player 0's card, then player 1's. */
  cards: z.tuple([z.enum(CARDS), z.enum(CARDS)]).refine(([a, b]) => a !== b, { message: 'the two cards must differ' }),
});
export type KuhnTask = z.infer<typeof KuhnTask>;

export interface KuhnState {
  history: Move[];
  /** Illegal replies per role (each counted as a fold). */
  illegal: Record<string, number>;
}

export const SEATS = ['player0', 'player1'] as const;
type Ctx = EnvContext<KuhnTask, KuhnState>;

const seatOf = (role: string): Seat => (role === 'player1' ? 1 : 0);
const ACTION_LINE = /^[ \t]*action[ \t]*:[ \t]*([a-z]+)[ \t.]*$/gim;

/** The move a reply names in its last `Action: <move>` line, or why it names none. */
export function parseMove(content: string, legal: readonly Move[]): { move: Move } | { illegal: string } {
  const found = [...content.matchAll(ACTION_LINE)].at(-1)?.[1]?.toLowerCase();
  if (found === undefined) return { illegal: 'no "Action: <move>" line' };
  if (!(MOVES as readonly string[]).includes(found)) return { illegal: `'${found}' is not a move` };
  if (!legal.includes(found as Move)) return { illegal: `'${found}' is not legal here (legal: ${legal.join(', ')})` };
  return { move: found as Move };
}

export function rules(seat: Seat): string {
  return [
    'You play one hand of Kuhn poker. The deck is J < Q < K; each player gets one card and antes 1 chip.',
    'Player 0 moves first: check or bet 1 chip. After a check, player 1 checks (the higher card wins the antes) or bets 1;',
    'then player 0 calls (the higher card wins 2) or folds (player 1 wins 1). After a bet, player 1 calls (the higher card',
    'wins 2) or folds (player 0 wins 1). Think briefly, then end your reply with exactly one line `Action: <move>`,',
    'where <move> is one of the legal moves you are given. Anything else counts as a fold.',
    `You are player ${seat}${seat === 0 ? ' (you move first)' : ' (you move second)'}.`,
  ].join(' ');
}

const prompt = (legal: readonly Move[]): string => `Legal moves: ${legal.join(', ')}. End with \`Action: <move>\`.`;

export class KuhnPokerEnv extends MultiAgentEnv<KuhnTask, KuhnState> {
  readonly taskSchema = KuhnTask;
  override readonly maxTurns = 3;
  readonly roles: Record<string, AgentRole>;

  constructor(options: { roles?: Partial<Record<(typeof SEATS)[number], AgentRole>> } = {}) {
    super();
    this.roles = { player0: options.roles?.player0 ?? {}, player1: options.roles?.player1 ?? {} };
  }

  readonly rubric = this.defineRubric({
    rewards: { won: ({ state, task, role }) => outcome(state.history, task.cards)?.winner === seatOf(role) },
    metrics: {
      chips: ({ state, task, role }) => {
        const result = outcome(state.history, task.cards);
        return result ? chipsOf(result, seatOf(role)) : 0;
      },
      illegal_moves: ({ state, role }) => state.illegal[role] ?? 0,
      showdown: ({ state, task }) => outcome(state.history, task.cards)?.showdown === true,
    },
  });

  override createState(): KuhnState {
    return { history: [], illegal: {} };
  }

  override label(task: KuhnTask): unknown {
    return { cards: task.cards };
  }

  reset({ task }: Ctx): Record<string, Message[]> {
    return {
      player0: [
        { role: 'system', content: rules(0) },
        { role: 'user', content: `Hand ${task.id}. Your card: ${task.cards[0]}. You move first. ${prompt(legalMoves([]))}` },
      ],
      player1: [
        { role: 'system', content: rules(1) },
        { role: 'user', content: `Hand ${task.id}. Your card: ${task.cards[1]}. Player 0 moves first; their move follows.` },
      ],
    };
  }

  nextRole({ state }: Ctx): string | undefined {
    return legalMoves(state.history).length === 0 ? undefined : SEATS[seatToMove(state.history)];
  }

  step(role: string, reply: AssistantReply, { state }: Ctx): AgentsStepResult {
    const legal = legalMoves(state.history);
    const parsed = parseMove(reply.message.content, legal);
    let move: Move;
    let note = '';
    if ('move' in parsed) move = parsed.move;
    else {
      // An illegal reply forfeits the hand: the seat folds, whatever was legal.
      move = 'fold';
      state.illegal[role] = (state.illegal[role] ?? 0) + 1;
      note = ` (illegal reply: ${parsed.illegal}; counted as a fold)`;
    }
    state.history = [...state.history, move];
    const seat = seatOf(role);
    const other = SEATS[1 - seat]!;
    const next = legalMoves(state.history);
    const told = `Player ${seat}: ${move}${note}.${next.length > 0 ? ` ${prompt(next)}` : ''}`;
    const messages: Record<string, Message[]> = { [other]: [{ role: 'user', content: told }] };
    if (next.length === 0) return { messages, terminated: true, reason: `hand over after ${state.history.join(', ')}` };
    return { messages };
  }
}

export default new KuhnPokerEnv();
