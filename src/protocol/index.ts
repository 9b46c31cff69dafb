export * from './errors.ts';
export * from './sample.ts';
export * from './trainer-rpc.ts';
