/**
 * One role of an episode at run time: its conversation, its token ledger (for `/generate` roles)
 * and how it takes a turn. Sampled ids and log-probs go into the ledger exactly as the engine
 * returned them; the text is only decoded to parse the reply (contract 1).
 */
import { AbortedError } from '../protocol/errors.ts';
import { parseAssistant, type ToolCallFormat } from '../chat/tool-call-parser.ts';
import { sampledPieces, type SampledPiece } from '../chat/ledger-input.ts';
import type { Tokenizer } from '../chat/tokenizer.ts';
import type { SamplingParams } from '../protocol/sglang-types.ts';
import { isChatClient, type AgentRole, type ChatClient, type GenerateEngine } from './agents.ts';
import { readGenerateResponse } from './engine-reply.ts';
import type { EpisodeLedger } from './ledger.ts';
import { toolSpecs, type ToolSet } from './tool.ts';
import type { AssistantReply, Message } from './types.ts';

/** Sampled tokens of a turn that an abort cut short; resume continues from them. */
export interface PartialOutput {
  ids: number[];
  logProbs: number[];
  /** The version of the last generate call behind `ids`. */
  weightVersion: string;
  /** Pieces from earlier calls, when this output was itself resumed (see SampledTurn.earlier). */
  earlier?: SampledPiece[];
}

/** Every generate call behind a partial output, as the pieces before a call that resumes it. */
function piecesBefore(partial: PartialOutput): SampledPiece[] {
  return sampledPieces(partial).map(({ count, weightVersion }) => ({ count, weightVersion }));
}

/** Thrown when the engine ended a turn with `finish_reason: abort` (pause, abort_all): not an error. */
export class TurnAborted extends AbortedError {
  constructor(readonly partial: PartialOutput) {
    super('the engine aborted the turn');
  }
}

export const DEFAULT_MAX_NEW_TOKENS = 1024;

export interface TurnSettings {
  tokenizer: Tokenizer;
  toolCallFormat: ToolCallFormat;
  reasoning: boolean;
  sampling: SamplingParams;
  signal: AbortSignal;
}

export interface TurnOutcome {
  reply: AssistantReply;
  completionTokens: number;
  promptTokens: number;
  cachedTokens: number;
}

export class RoleRuntime {
  readonly tools: ToolSet;
  readonly trains: boolean;
  turns = 0;

  constructor(
    readonly name: string,
    readonly spec: AgentRole,
    readonly engine: GenerateEngine | ChatClient,
    /** The role's own view of the conversation. */
    public messages: Message[],
    readonly ledger: EpisodeLedger | undefined,
  ) {
    this.tools = spec.tools ?? {};
    this.trains = spec.trains ?? true;
  }

  /**
   * Messages the ledger has not seen yet. They reach it only when this role moves again: the
   * observations after an episode's last turn are never in a sample (it ends at the last sampled
   * token), and rendering them would cost two full template renders for nothing.
   */
  unledgered: Message[] = [];

  append(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    this.messages.push(...messages);
    if (this.ledger) this.unledgered.push(...messages);
  }

  /** Tokens this role's ledger holds, observations included. */
  ledgerTokens(): number {
    if (!this.ledger) return 0;
    this.flush();
    return this.ledger.totalTokens;
  }

  private flush(): void {
    if (this.unledgered.length === 0) return;
    this.ledger!.appendMessages(this.unledgered);
    this.unledgered = [];
  }

  /** Samples one reply; `partial` continues a turn an abort interrupted. */
  /** `rid` names the request on the wire (see protocol/turn-rid.ts). */
  async takeTurn(settings: TurnSettings, idPrefix: string, partial?: PartialOutput, rid?: string): Promise<TurnOutcome> {
    const sampling = { ...settings.sampling, ...this.spec.sampling };
    if (isChatClient(this.engine)) {
      const message = await this.engine.complete({ messages: [...this.messages], tools: toolSpecs(this.tools), sampling }, { signal: settings.signal });
      this.messages.push(message);
      return { reply: { message, parseErrors: [], finishReason: 'stop' }, completionTokens: 0, promptTokens: 0, cachedTokens: 0 };
    }
    const ledger = this.ledger!;
    this.flush();
    const already = partial?.ids.length ?? 0;
    const maxNewTokens = (sampling.max_new_tokens ?? DEFAULT_MAX_NEW_TOKENS) - already;
    const inputIds = partial ? [...ledger.inputIds, ...partial.ids] : [...ledger.inputIds];
    const answer = await this.engine.generate(
      { input_ids: inputIds, sampling_params: { ...sampling, max_new_tokens: Math.max(1, maxNewTokens) }, return_logprob: true, ...(rid ? { rid } : {}) },
      { signal: settings.signal },
    );
    const response = Array.isArray(answer) ? answer[0]! : answer;
    const out = readGenerateResponse(response, `${this.name} engine /generate`);
    const ids = partial ? [...partial.ids, ...out.ids] : out.ids;
    const logProbs = partial ? [...partial.logProbs, ...out.logProbs] : out.logProbs;
    // A resumed turn keeps the weight version of every call that produced part of it.
    const earlier = partial ? { earlier: piecesBefore(partial) } : {};
    if (out.finish === 'abort') throw new TurnAborted({ ids, logProbs, weightVersion: out.weightVersion, ...earlier });

    const textIds = out.matchedStopId !== undefined && ids.at(-1) === out.matchedStopId ? ids.slice(0, -1) : ids;
    const parsed = parseAssistant(settings.tokenizer.decode(textIds), {
      format: settings.toolCallFormat,
      reasoning: settings.reasoning,
      idPrefix,
    });
    const message: Message = { role: 'assistant', content: parsed.content };
    if (parsed.reasoningContent !== undefined) message.reasoningContent = parsed.reasoningContent;
    if (parsed.toolCalls.length > 0) message.toolCalls = parsed.toolCalls;
    ledger.appendSampled({ ids, logProbs, weightVersion: out.weightVersion, ...earlier, message });
    this.messages.push(message);
    return {
      reply: {
        message,
        parseErrors: parsed.errors.map((e) => ({ kind: e.kind, message: e.message, toolCallId: e.toolCallId })),
        finishReason: out.finish,
      },
      completionTokens: ids.length,
      promptTokens: out.promptTokens,
      cachedTokens: out.cachedTokens,
    };
  }
}
