/**
 * Solver and critic: the solver answers an arithmetic word problem; the critic reviews the answer
 * and either accepts it or sends it back for one revision, after which the solver's answer is final.
 *
 *   solver: "... Answer: <number>"  ->  critic: "Verdict: accept" | "Verdict: revise" (+ feedback)
 *   -> on revise, the solver sees the feedback and answers again; the episode ends.
 *
 * Rewards per role: the solver's `correct` (its final answer is right); the critic's `right_call`
 * (it accepted a right first answer or sent back a wrong one). A critic reply without a verdict
 * line counts as accept for the flow and is never a right call (metric `no_verdict`). Which roles
 * train: `new CriticEnv({ roles: { critic: { trains: false } } })` or a recipe's `rollout.roles`.
 */
import { z } from 'zod';
import { MultiAgentEnv, type AgentRole, type AgentsStepResult, type AssistantReply, type EnvContext, type Message } from '../../src/index.ts';

export const CriticTask = z.strictObject({
  /** Names the problem in both roles' first prompt (the scripted policy keys on it). */
  id: z.string().min(1),
  question: z.string().min(1),
  answer: z.number().int(),
  /** A plausible wrong answer (scripted policy and validate cases; never shown). */
  slip: z.number().int().optional(),
});
export type CriticTask = z.infer<typeof CriticTask>;

export interface CriticState {
  /** The solver's answers in order (null: no `Answer:` line). */
  answers: Array<number | null>;
  verdict?: 'accept' | 'revise';
  noVerdict: boolean;
}

type Ctx = EnvContext<CriticTask, CriticState>;

/** The number on the reply's last `Answer: <number>` line (commas allowed), or null. */
export function parseAnswer(content: string): number | null {
  const found = [...content.matchAll(/^[ \t]*answer[ \t]*:[ \t]*\$?(-?[\d,]*\d)[ \t.]*$/gim)].at(-1)?.[1];
  return found === undefined ? null : Number(found.replace(/,/g, ''));
}

/** The reply's last `Verdict: accept|revise` line, or null. */
export function parseVerdict(content: string): 'accept' | 'revise' | null {
  const found = [...content.matchAll(/^[ \t]*verdict[ \t]*:[ \t]*(accept|revise)\b/gim)].at(-1)?.[1];
  return found === undefined ? null : (found.toLowerCase() as 'accept' | 'revise');
}

const SOLVER_RULES = 'You solve arithmetic word problems. Work it out briefly, then end your reply with one line `Answer: <number>`.';
const CRITIC_RULES =
  'You review a solution to an arithmetic word problem. Check the arithmetic. If the answer is right, end with the line ' +
  '`Verdict: accept`. If it is wrong, say what is wrong (without giving the answer) and end with the line `Verdict: revise`.';

export class CriticEnv extends MultiAgentEnv<CriticTask, CriticState> {
  readonly taskSchema = CriticTask;
  /** Solver, critic, and at most one revision. */
  override readonly maxTurns = 3;
  readonly roles: Record<string, AgentRole>;

  constructor(options: { roles?: Partial<Record<'solver' | 'critic', AgentRole>> } = {}) {
    super();
    this.roles = { solver: options.roles?.solver ?? {}, critic: options.roles?.critic ?? {} };
  }

  readonly rubric = this.defineRubric({
    rewards: {
      correct: ({ role, state, task }) => role === 'solver' && state.answers.at(-1) === task.answer,
      right_call: ({ role, state, task }) => role === 'critic' && !state.noVerdict && (state.verdict === 'accept') === (state.answers[0] === task.answer),
    },
    metrics: {
      first_correct: ({ state, task }) => state.answers[0] === task.answer,
      revised: ({ state }) => state.answers.length > 1,
      no_answer: ({ state }) => state.answers.filter((a) => a === null).length,
      no_verdict: ({ state }) => state.noVerdict,
    },
  });

  override createState(): CriticState {
    return { answers: [], noVerdict: false };
  }

  override label(task: CriticTask): unknown {
    return { answer: task.answer };
  }

  reset({ task }: Ctx): Record<string, Message[]> {
    return {
      solver: [
        { role: 'system', content: SOLVER_RULES },
        { role: 'user', content: `Problem ${task.id}: ${task.question}` },
      ],
      critic: [{ role: 'system', content: CRITIC_RULES }],
    };
  }

  nextRole({ state }: Ctx): string | undefined {
    if (state.answers.length === 0) return 'solver';
    if (state.verdict === undefined) return 'critic';
    if (state.verdict === 'revise' && state.answers.length === 1) return 'solver';
    return undefined;
  }

  step(role: string, reply: AssistantReply, { state, task }: Ctx): AgentsStepResult {
    const content = reply.message.content;
    if (role === 'solver') {
      state.answers.push(parseAnswer(content));
      if (state.answers.length > 1) return { terminated: true, reason: 'the revised answer is final' };
      return { messages: { critic: [{ role: 'user', content: `Problem ${task.id}: ${task.question}\n\nProposed solution:\n${content}` }] } };
    }
    const verdict = parseVerdict(content);
    state.noVerdict = verdict === null;
    state.verdict = verdict ?? 'accept';
    if (state.verdict === 'accept') return { terminated: true, reason: verdict ? 'the critic accepted' : 'no verdict line: taken as accept' };
    const feedback = content.replace(/^[ \t]*verdict[ \t]*:.*$/gim, '').trim();
    return {
      messages: {
        solver: [{ role: 'user', content: `A reviewer sent your answer back: ${feedback || '(no comment)'}\nRevise and end with one line \`Answer: <number>\`.` }],
      },
    };
  }
}

export default new CriticEnv();
