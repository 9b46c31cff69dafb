/**
 * The episode runner: one task, one env, one or more roles, until terminated or truncated.
 *
 *   reset → [ nextRole → /generate (input_ids from the ledger, return_logprob) → env.step →
 *             append observations → stop predicates ]* → rubric → Samples
 *
 * Every failure becomes a status on the samples (see failure-status.ts); an abort returns the
 * partial samples plus a snapshot that `resume` continues from.
 */
import type { ChatTemplate } from '../chat/chat-template.ts';
import type { Tokenizer } from '../chat/tokenizer.ts';
import type { ToolCallFormat } from '../chat/tool-call-parser.ts';
import type { SamplingParams } from '../protocol/sglang-types.ts';
import { InvalidInputError, throwIfAborted } from '../protocol/errors.ts';
import type { Sample, SampleStatus } from '../protocol/sample.ts';
import { turnRid } from '../protocol/turn-rid.ts';
import { asAgents, isChatClient, withRoleOverrides, type AgentRole, type AgentsStepResult, type GenerateEngine, type MultiAgentEnv } from './agents.ts';
import type { Env } from './env.ts';
import { RoleRuntime, TurnAborted, type PartialOutput } from './episode-role.ts';
import { scoreRoles } from './episode-samples.ts';
import { checkSnapshot, EPISODE_SNAPSHOT_VERSION, type EpisodeSnapshot } from './episode-snapshot.ts';
import { describeError, isAgentCaused, statusForError } from '../protocol/failure-status.ts';
import { finalizeSandbox, VerificationRooms } from './episode-sandbox.ts';
import { attachSpanRecorder, SpanRecorder, timedSandbox, type EpisodeSpan } from './episode-trace.ts';
import { createLedger, restoreLedger } from './ledger-factory.ts';
import type { SandboxLease, SandboxLeases } from './sandbox-lease.ts';
import { anyOf, checkStop, stepCountIs, type StopDecision } from './stop.ts';
import { parseTask } from './task.ts';
import type { AssistantReply, EnvContext, Message, StepRecord } from './types.ts';

export interface RunEpisodeOptions {
  env: Env<any, any, any> | MultiAgentEnv<any, any, any>;
  /** A task row; validated with the env's taskSchema. */
  task: unknown;
  /** The policy engine (roles without their own engine use it). */
  engine: GenerateEngine;
  chat: { tokenizer: Tokenizer; template: ChatTemplate };
  /** SGLang sampling params; `max_new_tokens` defaults to 1024 per turn. */
  sampling?: SamplingParams;
  toolCallFormat?: ToolCallFormat;
  rolloutId: string;
  groupIndex: number;
  index: number;
  signal?: AbortSignal;
  /**
   * Where the episode's sandbox comes from: leased when the episode starts, released after
   * scoring. A failure to lease ends the episode with status `sandbox_error`.
   */
  sandboxes?: SandboxLeases;
  resume?: EpisodeSnapshot;
  /** Lowers the env's turn limit for this run. */
  maxTurns?: number;
  /** Split `<think>` reasoning from replies (default true). */
  reasoning?: boolean;
  /** Extra chat-template variables, e.g. `{ enable_thinking: false }`. */
  templateKwargs?: Record<string, unknown>;
  /**
   * Per-run overrides of the env's roles, merged field by field over its own (`withRoleOverrides`):
   * a frozen opponent's engine, which roles train. A name the env has no role for is an error.
   */
  roles?: Readonly<Record<string, AgentRole>>;
  /**
   * Asks for the episode's timing: called once at its end with its spans (the episode first,
   * then its sandbox lease, model turns, env steps, tool calls, sandbox calls and scoring).
   */
  onSpans?: (spans: EpisodeSpan[]) => void;
}

export interface EpisodeResult {
  samples: Sample[];
  /** Present when the episode was aborted: pass it back as `resume`. */
  snapshot?: EpisodeSnapshot;
  metrics: Record<string, number>;
}

type InFlight = EpisodeSnapshot['inFlight'];

export async function runEpisode(options: RunEpisodeOptions): Promise<EpisodeResult> {
  const program = asAgents(options.env);
  const roleSpecs = withRoleOverrides(program.roles, options.roles);
  const task = parseTask(program.taskSchema, options.task);
  const signal = options.signal ?? new AbortController().signal;
  const resume = options.resume ? checkSnapshot(options.resume) : undefined;
  const metrics: Record<string, number> = { ...resume?.metrics };
  const emit = (name: string, value: number): void => void (metrics[name] = (metrics[name] ?? 0) + value);
  const steps: StepRecord[] = resume?.steps ?? [];
  const ctx: EnvContext<unknown, any> = {
    task,
    state: resume ? resume.state : undefined,
    sandbox: undefined,
    signal,
    turn: resume?.turn ?? 0,
    steps,
    emit,
  };
  const recorder = new SpanRecorder(options.onSpans !== undefined);
  const episodeStart = recorder.now();
  attachSpanRecorder(ctx, recorder);
  const settings = {
    tokenizer: options.chat.tokenizer,
    toolCallFormat: options.toolCallFormat ?? 'hermes',
    reasoning: options.reasoning ?? true,
    sampling: options.sampling ?? {},
    signal,
  };
  const limit = Math.min(options.maxTurns ?? Infinity, program.maxTurns ?? Infinity);
  const stop = anyOf(program.stopWhen, Number.isFinite(limit) ? stepCountIs(limit) : undefined);
  const roles = new Map<string, RoleRuntime>();
  let opening: Record<string, Message[]> = {};
  let inFlight: InFlight = resume?.inFlight;
  let status: SampleStatus = 'completed';
  let statusReason: string | undefined;
  let partial: PartialOutput | undefined;

  for (const [name, spec] of Object.entries(roleSpecs)) {
    const engine = spec.engine ?? options.engine;
    if ((spec.trains ?? true) && isChatClient(engine))
      throw new InvalidInputError(`role '${name}' trains but its engine is a chat-completions client; training roles need a /generate engine`);
  }

  const makeRole = (name: string, messages: Message[], ledgerSnapshot?: unknown): RoleRuntime => {
    const spec = roleSpecs[name]!;
    const engine = spec.engine ?? options.engine;
    const ledgerOptions = {
      tokenizer: options.chat.tokenizer, template: options.chat.template, tools: spec.tools, templateKwargs: options.templateKwargs,
    };
    let ledger;
    if (!isChatClient(engine)) {
      ledger = ledgerSnapshot !== undefined ? restoreLedger(ledgerSnapshot, ledgerOptions) : createLedger(ledgerOptions);
      if (ledgerSnapshot === undefined) ledger.start(messages);
    }
    return new RoleRuntime(name, spec, engine, [...messages], ledger);
  };

  // Counting tokens means rendering observations the ledgers have not seen yet, so it happens only
  // when a stop condition (tokenBudgetIs) actually reads it.
  const totalTokens = (): number => [...roles.values()].reduce((sum, r) => sum + r.ledgerTokens(), 0);

  const finishStep = async (role: RoleRuntime, reply: AssistantReply, completionTokens: number): Promise<StopDecision | undefined> => {
    inFlight = { role: role.name, phase: 'step', reply };
    // A reply cut by max_new_tokens is unfinished (half a tool call, say): the env never sees it.
    const cut = reply.finishReason === 'length';
    const result: AgentsStepResult = cut
      ? { truncated: true, reason: 'the reply hit max_new_tokens' }
      : await recorder.time('env step', 'env', () => program.step(role.name, reply, ctx), { turn: ctx.turn, role: role.name });
    const observations: Message[] = [];
    for (const [target, messages] of Object.entries(result.messages ?? {})) {
      const runtime = roles.get(target);
      if (!runtime) throw new InvalidInputError(`env step returned messages for unknown role '${target}'`);
      runtime.append(messages);
      if (target === role.name) observations.push(...messages);
    }
    steps.push({ turn: ctx.turn, role: role.name, reply, observations, completionTokens });
    ctx.turn += 1;
    role.turns += 1;
    inFlight = undefined;
    if (result.terminated) return { outcome: 'terminated', reason: result.reason ?? 'the env ended the episode' };
    if (result.truncated) return { outcome: 'truncated', reason: result.reason ?? 'the env cut the episode short' };
    const decision = await checkStop(stop, {
      steps,
      get totalTokens() {
        return totalTokens();
      },
      state: ctx.state,
    });
    // An env with no role left to move ended naturally, even on the last allowed turn: the same
    // rule as a single-agent env that terminates on its last turn.
    if (decision?.outcome === 'truncated' && program.nextRole(ctx) === undefined) return { outcome: 'terminated', reason: 'no role left to move' };
    return decision;
  };

  let lease: SandboxLease | undefined;
  let agentFailure = false;
  try {
    // An episode aborted before it began costs nothing: no sandbox, no render (resume = start over).
    throwIfAborted(signal);
    if (options.sandboxes) {
      const leases = options.sandboxes;
      lease = await recorder.time('sandbox lease', 'sandbox', () => leases.lease(signal, task));
      ctx.sandbox = timedSandbox(lease.sandbox, recorder);
    }
    if (resume) {
      ctx.state = resume.state;
      for (const [name, saved] of Object.entries(resume.roles)) {
        const role = makeRole(name, saved.messages, saved.ledger);
        role.turns = saved.turns;
        role.unledgered = saved.unledgered ?? [];
        roles.set(name, role);
      }
    } else {
      ctx.state = program.createState(task);
      opening = await recorder.time('reset', 'env', () => program.reset(ctx));
      for (const name of Object.keys(roleSpecs)) {
        if (!opening[name]) throw new InvalidInputError(`env reset returned no messages for role '${name}'`);
        roles.set(name, makeRole(name, opening[name]));
      }
    }

    let decision: StopDecision | undefined;
    // A reply sampled before the abort whose env step never finished: run that step first.
    if (inFlight?.phase === 'step') {
      const role = roles.get(inFlight.role)!;
      decision = await finishStep(role, inFlight.reply, 0);
    }
    while (!decision) {
      throwIfAborted(signal);
      const carried: PartialOutput | undefined = inFlight?.phase === 'generate' ? inFlight.partial : undefined;
      const name = inFlight?.role ?? program.nextRole(ctx);
      if (name === undefined) {
        decision = { outcome: 'terminated', reason: 'no role left to move' };
        break;
      }
      const role = roles.get(name);
      if (!role) throw new InvalidInputError(`env nextRole returned unknown role '${name}'`);
      inFlight = { role: name, phase: 'generate', ...(carried ? { partial: carried } : {}) };
      const rid = turnRid({ rolloutId: options.rolloutId, role: name, turn: role.turns });
      const turnArgs: Record<string, unknown> = { turn: ctx.turn, role: name };
      const turn = await recorder.time('generate', 'turn', () => role.takeTurn(settings, `${options.rolloutId}-${ctx.turn}`, carried, rid), turnArgs);
      Object.assign(turnArgs, { completion_tokens: turn.completionTokens, prompt_tokens: turn.promptTokens, cached_tokens: turn.cachedTokens, finish: turn.reply.finishReason });
      emit('turns', 1);
      emit('completion_tokens', turn.completionTokens);
      emit('prompt_tokens', turn.promptTokens);
      emit('cached_tokens', turn.cachedTokens);
      if (turn.reply.parseErrors.length > 0) emit('parse_errors', turn.reply.parseErrors.length);
      decision = await finishStep(role, turn.reply, turn.completionTokens);
    }
    status = decision.outcome === 'truncated' ? 'truncated' : 'completed';
    statusReason = status === 'truncated' ? decision.reason : undefined;
    metrics.stop_terminated = decision.outcome === 'terminated' ? 1 : 0;
  } catch (error) {
    if (error instanceof TurnAborted) {
      partial = error.partial;
      if (inFlight?.phase === 'generate') inFlight = { ...inFlight, partial };
      status = 'aborted';
      statusReason = 'the engine aborted the request';
    } else {
      status = statusForError(error, signal);
      statusReason = status === 'aborted' ? describeError(signal.reason ?? error) : describeError(error);
      if (isAgentCaused(error) && status === 'truncated') {
        agentFailure = true;
        statusReason = `the agent's own doing: ${statusReason}`;
      }
    }
  }

  // Reward code runs after the agent's processes are stopped (a background job cannot change the
  // state under the rubric). A sandbox that cannot be finalized is not trusted for scoring.
  if ((status === 'completed' || status === 'truncated') && ctx.sandbox !== undefined) {
    try {
      await finalizeSandbox(ctx.sandbox, signal);
    } catch (error) {
      // After a failure of the agent's own, a sandbox it broke cannot finalize: scored as found, or 0.
      if (!agentFailure) {
        status = statusForError(error, signal);
        statusReason = describeError(error);
        if (isAgentCaused(error) && status === 'truncated') {
          agentFailure = true;
          statusReason = `the agent's own doing: ${statusReason}`;
        }
      }
    }
  }
  const rooms = new VerificationRooms(lease, signal);

  // Forks opened because a template rewrote history (counted, never silent), over all roles.
  metrics.forks = [...roles.values()].reduce((sum, role) => sum + (role.ledger?.forkCount ?? 0), 0);
  let samples: Sample[];
  try {
    samples = await recorder.time('score', 'score', () => scoreRoles({
      program, roleSpecs, roles, task, state: ctx.state, steps, status, statusReason, signal, sandbox: ctx.sandbox, tokenizer: options.chat.tokenizer,
      verificationRoom: rooms.openRoom, agentFailure,
      fallbackEngine: options.engine, opening, partial: partial && inFlight ? { role: inFlight.role, output: partial } : undefined,
      fields: { index: options.index, groupIndex: options.groupIndex, rolloutId: options.rolloutId, metadata: { metrics: { ...metrics } } },
    }));
  } finally {
    const roomFailures = await rooms.releaseAll();
    if (roomFailures > 0) emit('sandbox_release_errors', roomFailures);
    // Released after scoring (rubrics may grade inside the sandbox). A failed release is the pool's
    // to clean up (its reaper), not a lost episode.
    await lease?.release().catch(() => emit('sandbox_release_errors', 1));
  }

  if (options.onSpans) reportSpans(options.onSpans, recorder, episodeStart, { rolloutId: options.rolloutId, group: options.groupIndex, index: options.index, status, turns: ctx.turn, reward: samples[0]?.reward ?? null });
  const result: EpisodeResult = { samples, metrics };
  if (status === 'aborted' && roles.size > 0) {
    result.snapshot = {
      version: EPISODE_SNAPSHOT_VERSION,
      rolloutId: options.rolloutId,
      task,
      state: structuredClone(ctx.state),
      turn: ctx.turn,
      steps: structuredClone(steps),
      metrics: { ...metrics },
      roles: Object.fromEntries(
        [...roles].map(([name, role]) => [name, { messages: structuredClone(role.messages), turns: role.turns, ledger: role.ledger?.snapshot(), unledgered: structuredClone(role.unledgered) }]),
      ),
      ...(inFlight ? { inFlight: structuredClone(inFlight) } : {}),
    };
  }
  return result;
}

/** The episode's own span first, then what happened inside it; an observer that throws never fails the episode. */
function reportSpans(onSpans: (spans: EpisodeSpan[]) => void, recorder: SpanRecorder, startMs: number, args: Record<string, unknown>): void {
  recorder.record('episode', 'episode', startMs, args);
  const spans = recorder.spans;
  try {
    onSpans([spans.at(-1)!, ...spans.slice(0, -1)]);
  } catch {
    // Timing is a view of the run, not part of it.
  }
}
