// The public API. Everything a user imports comes from here (or from 'physarum/test' for test doubles).
export * from './protocol/index.ts';
export * from './env/tool.ts';
export * from './chat/tokenizer.ts';
export * from './chat/messages.ts';
export * from './chat/chat-template.ts';
export * from './chat/tool-call-parser.ts';
export * from './chat/token-ledger.ts';
export * from './engine/index.ts';
export * from './buffer/index.ts';
export * from './engine/embedded/index.ts';
export * from './rollout/index.ts';
