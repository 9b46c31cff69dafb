/**
 * The TokenLedger keeps an episode's tokens exactly as the policy saw and sampled them
 * (docs/architecture.md, contract 1). Sampled ids are stored as the engine returned them (loss mask 1) and
 * never re-tokenized; everything else (prompt, tool results, user turns, template scaffolding)
 * is rendered by the chat template, tokenized once and stored with loss mask 0.
 *
 * Append-only rule, checked at every appendMessages after a sampled turn. With P the render the
 * model was prompted with, B the render of the history through the sampled message (no generation
 * prompt) and C the render with the new messages (and generation prompt):
 *   1. B extends P: the template prints the sampled turn on top of exactly the prompt the model saw;
 *   2. C extends B: the new messages do not make the template rewrite what came before.
 * The comparison is template-to-template, so how the template re-serializes the sampled turn
 * (tool-call JSON through `tojson`, whitespace) never matters, and ignorable text (an empty
 * `<think></think>` block) is left out. When both hold, the ledger appends the template's close of
 * the sampled turn (the `\n` after `<|im_end|>`, or `<|im_end|>\n` itself when the turn was cut by
 * length or a stop string) plus C's text after B. When either fails (Qwen3 drops past reasoning
 * once a new user message arrives) the ledger opens a new fork whose prompt is C, counts it and
 * records why.
 */
import { PhysarumError } from '../protocol/errors.ts';
import type { Span, SpanKind } from '../protocol/sample.ts';
import type { ToolSpec } from './messages.ts';
import type { ChatTemplate } from './chat-template.ts';
import { LEDGER_SNAPSHOT_VERSION, LedgerSnapshot, type ForkState, type LastSampleState, type TailState } from './ledger-snapshot.ts';
import { checkMessages, checkSampledTurn, sampledPieces, type SampledTurn } from './ledger-input.ts';
import { cloneMessage, type ChatMessage } from './messages.ts';
import { freezeDeep, isFrozenDeep } from './deep-freeze.ts';
import { checkPrefix, DEFAULT_IGNORABLE } from './render-diff.ts';
import { contentRegions, tokenizeLabelled } from './tail-tokens.ts';
import type { Tokenizer } from './tokenizer.ts';

/**
 * `target.push(...items)` without the spread: a spread passes every item as an argument, and a
 * tool output of some 150k tokens or more overflows the stack that way.
 */
function appendAll<T>(target: T[], items: readonly T[]): void {
  for (let i = 0; i < items.length; i++) target.push(items[i]!);
}

/** A structured clone, or the value itself where it cannot be cloned (it holds a function, say). */
function ownCopy<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

/** The ledger was used out of order, or a snapshot does not fit; the message says which call. */
export class LedgerError extends PhysarumError {
  constructor(message: string, cause?: unknown) {
    super('PHYSARUM_LEDGER', message, { cause });
  }
}

export interface TokenLedgerOptions {
  tokenizer: Tokenizer;
  template: ChatTemplate;
  tools?: readonly ToolSpec[];
  templateKwargs?: Record<string, unknown>;
  /** Ids that end a turn (default: the tokenizer's EOS ids). Pass the engine's `stop_token_ids` too. */
  stopTokenIds?: readonly number[];
  /** Text a template may drop from history without it counting as a rewrite (default: empty think blocks). */
  ignorable?: readonly RegExp[];
}

/** One fork of the episode, as a trainable sample: the response is tokens[promptLength:]. */
export interface LedgerSegment {
  forkIndex: number;
  tokens: number[];
  promptLength: number;
  lossMask: (0 | 1)[];
  logProbs: number[];
  spans: Span[];
  weightVersions: string[];
  turns: number;
  messages: ChatMessage[];
  /** Why this fork was opened (absent for fork 0). */
  forkReason?: string;
}

function spanKindOf(message: ChatMessage): SpanKind {
  return message.role === 'tool' ? 'tool' : 'user';
}

function emptyFork(historyEnd: number, forkReason?: string): ForkState {
  return { tokens: [], lossMask: [], logProbs: [], spans: [], weightVersions: [], turns: 0, historyEnd, ...(forkReason ? { forkReason } : {}) };
}

export class TokenLedger {
  readonly #options: TokenLedgerOptions;
  readonly #ignorable: readonly RegExp[];
  #history: ChatMessage[] = [];
  #forks: ForkState[] = [];
  #tail: TailState = { text: '', tokens: [], spans: [] };
  #lastRender = '';
  #awaitingGeneration = false;
  #turnIndex = 0;
  #inputIds: number[] | undefined;

  constructor(options: TokenLedgerOptions) {
    // The ledger renders its own immutable copy of the tools: a caller changing its specs mid-episode
    // cannot rewrite the system prompt behind the ledger's back, and renders reuse their JSON text.
    const tools = options.tools && !isFrozenDeep(options.tools) ? ownCopy(options.tools) : options.tools;
    if (tools && tools !== options.tools) freezeDeep(tools);
    this.#options = tools === options.tools ? options : { ...options, tools };
    this.#ignorable = options.ignorable ?? DEFAULT_IGNORABLE;
  }

  /** Render the opening messages with the generation prompt: the prompt of fork 0. */
  start(messages: ChatMessage[]): void {
    if (this.#forks.length > 0) throw new LedgerError('start: the ledger has already started');
    checkMessages(messages, 'start');
    const history = messages.map(cloneMessage);
    const prompt = this.#render(history, true);
    // State changes only once rendering has succeeded, so a TemplateError leaves the ledger as it was.
    this.#history = history;
    this.#forks.push(emptyFork(history.length));
    this.#setPrompt(prompt, true);
  }

  /** The ids to send to /generate now: the current fork's tokens. */
  get inputIds(): readonly number[] {
    this.#inputIds ??= this.#fork.tokens.concat(this.#tail.tokens);
    return this.#inputIds;
  }

  get messages(): readonly ChatMessage[] {
    return this.#history;
  }

  get forkCount(): number {
    return Math.max(0, this.#forks.length - 1);
  }

  get totalTokens(): number {
    return this.#forks.length === 0 ? 0 : this.#fork.tokens.length + this.#tail.tokens.length;
  }

  appendSampled(turn: SampledTurn): void {
    checkSampledTurn(turn);
    if (!this.#awaitingGeneration)
      throw new LedgerError('appendSampled: the ledger does not end with a generation prompt; call appendMessages first');
    const fork = this.#fork;
    this.#commitTail();
    fork.promptLength ??= fork.tokens.length;
    const start = fork.tokens.length;
    appendAll(fork.tokens, turn.ids);
    for (let i = 0; i < turn.ids.length; i++) fork.lossMask.push(1);
    appendAll(fork.logProbs, turn.logProbs);
    // One sampled span and one weight version per generate call behind the turn (slime appends a
    // version per call); a turn resumed after a weight update thus records both versions.
    for (const piece of sampledPieces(turn)) {
      if (piece.count > 0)
        fork.spans.push({ kind: 'sampled', start: start + piece.offset, end: start + piece.offset + piece.count, turn: this.#turnIndex, weightVersion: piece.weightVersion });
      fork.weightVersions.push(piece.weightVersion);
    }
    fork.turns++;
    this.#turnIndex++;
    this.#history.push(cloneMessage(turn.message));
    fork.historyEnd = this.#history.length;
    const last = turn.ids.at(-1);
    const stopIds = this.#options.stopTokenIds ?? this.#options.tokenizer.eosTokenIds;
    fork.lastSample = {
      promptRender: this.#lastRender,
      historyLength: this.#history.length,
      ...(last !== undefined && stopIds.includes(last) ? { stopTokenId: last } : {}),
    };
    this.#awaitingGeneration = false;
    this.#inputIds = undefined;
  }

  /**
   * Tool results, user turns and the next generation prompt (loss mask 0). Several calls after one
   * sampled turn are one append: the text after the sampled turn is re-rendered each time.
   */
  appendMessages(messages: ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): void {
    if (this.#forks.length === 0) throw new LedgerError('appendMessages: call start first');
    checkMessages(messages, 'appendMessages');
    const addGenerationPrompt = options.addGenerationPrompt ?? true;
    const history = [...this.#history, ...messages.map(cloneMessage)];
    const fork = this.#fork;
    const sample = fork.lastSample;
    const fresh = this.#render(history, addGenerationPrompt);
    if (!sample) {
      // Nothing sampled in this fork yet: its prompt is simply rendered again.
      this.#history = history;
      fork.historyEnd = history.length;
      this.#setPrompt(fresh, addGenerationPrompt);
      return;
    }
    const sampled = this.#render(history.slice(0, sample.historyLength), false);
    const onPrompt = checkPrefix(sample.promptRender, sampled, this.#ignorable);
    const extends_ = onPrompt.ok ? checkPrefix(sampled, fresh, this.#ignorable) : onPrompt;
    if (!onPrompt.ok || !extends_.ok) {
      const why = onPrompt.ok ? `new messages rewrite history ${extends_.difference}` : `the sampled turn does not extend its prompt ${onPrompt.difference}`;
      this.#history = history;
      this.#forks.push(emptyFork(history.length, `turn ${this.#turnIndex}: ${why}`));
      this.#setPrompt(fresh, addGenerationPrompt);
      return;
    }
    const close = this.#closeOfSampledTurn(sampled, onPrompt.end, sample);
    const text = close + fresh.slice(extends_.end);
    const newMessages = history.slice(sample.historyLength);
    const regions = contentRegions(
      text,
      newMessages.map((m) => ({ content: m.content, kind: spanKindOf(m), ...(m.role === 'tool' && m.name ? { toolName: m.name } : {}) })),
      close.length,
    );
    // Tail spans carry the turn they follow (the turn whose tool calls they answer).
    const turn = this.#turnIndex - 1;
    const labelled = tokenizeLabelled(this.#options.tokenizer, text, { regions, defaultKind: 'scaffold', offset: fork.tokens.length, turn });
    this.#history = history;
    this.#tail = { text, ...labelled };
    this.#lastRender = fresh;
    this.#awaitingGeneration = addGenerationPrompt;
    this.#inputIds = undefined;
  }

  /** One segment per fork, oldest first; a segment ends at its fork's last sampled token. */
  segments(): LedgerSegment[] {
    return this.#forks.map((fork, forkIndex) => {
      const current = forkIndex === this.#forks.length - 1;
      // A fork that has sampled nothing yet is all prompt (the current tail).
      const tokens = fork.promptLength === undefined && current ? this.#tail.tokens : fork.tokens;
      const promptLength = fork.promptLength ?? tokens.length;
      const spans = fork.promptLength === undefined && current ? this.#tail.spans : fork.spans;
      return {
        forkIndex,
        tokens: [...tokens],
        promptLength,
        lossMask: fork.lossMask.slice(promptLength),
        logProbs: fork.logProbs.slice(promptLength),
        spans: spans.map((s) => ({ ...s })),
        weightVersions: [...fork.weightVersions],
        turns: fork.turns,
        messages: this.#history.slice(0, fork.historyEnd).map(cloneMessage),
        ...(fork.forkReason === undefined ? {} : { forkReason: fork.forkReason }),
      };
    });
  }

  snapshot(): LedgerSnapshot {
    if (this.#forks.length === 0) throw new LedgerError('snapshot: call start first');
    return structuredClone({
      version: LEDGER_SNAPSHOT_VERSION,
      history: this.#history,
      forks: this.#forks,
      tail: this.#tail,
      lastRender: this.#lastRender,
      awaitingGeneration: this.#awaitingGeneration,
      turnIndex: this.#turnIndex,
    });
  }

  static restore(snapshot: unknown, options: TokenLedgerOptions): TokenLedger {
    const parsed = LedgerSnapshot.safeParse(snapshot);
    if (!parsed.success)
      throw new LedgerError(`restore: not a ledger snapshot: ${parsed.error.issues.map((x) => `${x.path.join('.') || '(root)'}: ${x.message}`).join('; ')}`);
    const state = parsed.data;
    // The tail is text and its tokens: a different tokenizer shows up as a different encoding.
    const reencoded = state.tail.text.length === 0 ? [] : options.tokenizer.encode(state.tail.text);
    if (reencoded.length !== state.tail.tokens.length || reencoded.some((id, i) => id !== state.tail.tokens[i]))
      throw new LedgerError('restore: the snapshot was taken with a different tokenizer (its pending text encodes differently)');
    const ledger = new TokenLedger(options);
    ledger.#history = state.history as ChatMessage[];
    ledger.#forks = state.forks;
    ledger.#tail = state.tail;
    ledger.#lastRender = state.lastRender;
    ledger.#awaitingGeneration = state.awaitingGeneration;
    ledger.#turnIndex = state.turnIndex;
    return ledger;
  }

  get #fork(): ForkState {
    const fork = this.#forks.at(-1);
    if (!fork) throw new LedgerError('the ledger has not started; call start first');
    return fork;
  }

  #render(messages: ChatMessage[], addGenerationPrompt: boolean): string {
    const { tools, templateKwargs } = this.#options;
    return this.#options.template.render(messages, { addGenerationPrompt, ...(tools ? { tools } : {}), ...(templateKwargs ? { kwargs: templateKwargs } : {}) });
  }

  /** The current fork's prompt: the whole history rendered fresh (`text`), as one `prompt` span. */
  #setPrompt(text: string, addGenerationPrompt: boolean): void {
    const labelled = tokenizeLabelled(this.#options.tokenizer, text, { regions: [], defaultKind: 'prompt', offset: 0, turn: this.#turnIndex });
    this.#tail = { text, ...labelled };
    this.#lastRender = text;
    this.#awaitingGeneration = addGenerationPrompt;
    this.#inputIds = undefined;
  }

  #commitTail(): void {
    const fork = this.#fork;
    const { tokens, spans } = this.#tail;
    appendAll(fork.tokens, tokens);
    for (let i = 0; i < tokens.length; i++) {
      fork.lossMask.push(0);
      fork.logProbs.push(0);
    }
    appendAll(fork.spans, spans);
    this.#tail = { text: '', tokens: [], spans: [] };
  }

  /**
   * The template's text after the sampled ids, from its render of the sampled turn (which starts at
   * `turnStart` in `sampled`). A turn that ended on a stop token gets what the template prints after
   * that token (Qwen3: `\n`); a turn cut short gets the template's own close (`<|im_end|>\n`).
   */
  #closeOfSampledTurn(sampled: string, turnStart: number, sample: LastSampleState): string {
    const { tokenizer } = this.#options;
    if (sample.stopTokenId !== undefined) {
      const marker = tokenizer.decode([sample.stopTokenId]);
      const at = marker ? sampled.lastIndexOf(marker) : -1;
      if (at >= turnStart) return sampled.slice(at + marker.length);
    }
    for (const id of this.#options.stopTokenIds ?? tokenizer.eosTokenIds) {
      const marker = tokenizer.decode([id]);
      const at = marker ? sampled.lastIndexOf(marker) : -1;
      if (at >= turnStart) return sampled.slice(at);
    }
    return '';
  }
}

export { LedgerSnapshot, LEDGER_SNAPSHOT_VERSION } from './ledger-snapshot.ts';
export type { SampledPiece, SampledTurn } from './ledger-input.ts';
export { sampledPieces } from './ledger-input.ts';
export { DEFAULT_IGNORABLE as DEFAULT_LEDGER_IGNORABLE } from './render-diff.ts';
