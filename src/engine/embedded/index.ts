// The embedded llama.cpp engine that speaks SGLang's protocol.
export { EmbeddedEngine, type EmbeddedEngineOptions, type WeightUpdateTiming } from './embedded-engine.ts';
export { startEmbeddedServer, serveEngine, type EmbeddedServer, type EmbeddedServerOptions } from './server.ts';
export { EmbeddedEngineError, type KvCacheType } from './llama-runtime.ts';
export { BadGenerateRequest } from '../server/bad-request.ts';
export { initTinyModel, type TinyModel, type TinyModelOptions } from './tiny-model.ts';
