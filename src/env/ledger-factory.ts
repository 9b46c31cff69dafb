/** Builds the chat module's TokenLedger for one role (tools rendered into its system prompt). */
import type { ChatTemplate } from '../chat/chat-template.ts';
import { TokenLedger } from '../chat/token-ledger.ts';
import type { Tokenizer } from '../chat/tokenizer.ts';
import type { EpisodeLedger } from './ledger.ts';
import { frozenToolSpecs, type ToolSet } from './tool.ts';

export interface RoleLedgerOptions {
  tokenizer: Tokenizer;
  template: ChatTemplate;
  tools: ToolSet | undefined;
  templateKwargs: Record<string, unknown> | undefined;
}

function ledgerOptions(options: RoleLedgerOptions) {
  const specs = options.tools ? frozenToolSpecs(options.tools) : [];
  return {
    tokenizer: options.tokenizer,
    template: options.template,
    ...(specs.length > 0 ? { tools: specs } : {}),
    ...(options.templateKwargs ? { templateKwargs: options.templateKwargs } : {}),
  };
}

export function createLedger(options: RoleLedgerOptions): EpisodeLedger {
  return new TokenLedger(ledgerOptions(options));
}

export function restoreLedger(snapshot: unknown, options: RoleLedgerOptions): EpisodeLedger {
  return TokenLedger.restore(snapshot, ledgerOptions(options));
}
