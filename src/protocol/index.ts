export * from './errors.ts';
export * from './sample.ts';
