// The Data Buffer's public surface.
export * from './errors.ts';
export * from './normalize.ts';
export * from './role-baseline.ts';
export { DataBuffer, type DataBufferOptions, type IngestAck, type BufferEvent } from './data-buffer.ts';
export type { GroupQuery, ScoreUpdate } from './queries.ts';
export type { GroupState, StoredGroup, StoredSample, TrainSample } from './rows.ts';
export type { TakeBatchOptions, TakenBatch, TakenGroup } from './take-batch.ts';
export { encodeSample, decodeSample, packArrays, type PackedArrays } from './sample-codec.ts';
export type { Durability } from './store.ts';
export * from './pack.ts';
export * from './wire.ts';
export * from './server.ts';
export * from './debug.ts';
export * from './slime-export.ts';
export * from './env-rubric.ts';
