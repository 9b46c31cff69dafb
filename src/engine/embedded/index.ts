// The embedded llama.cpp engine that speaks SGLang's protocol.
export { EmbeddedEngine, type EmbeddedEngineOptions, type GenerateItem, type ItemResult, type WeightUpdateTiming } from './embedded-engine.ts';
export { startEmbeddedServer, serveEngine, type EmbeddedServer, type EmbeddedServerOptions } from './server.ts';
export { EmbeddedEngineError, defaultThreads, type KvCacheType } from './llama-runtime.ts';
export { BadGenerateRequest } from './sampling-plan.ts';
export { initTinyModel, projectPython, runTrainerModule, type TinyModel, type TinyModelOptions } from './tiny-model.ts';
