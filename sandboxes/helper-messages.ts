/**
 * The helper's wire, as schemas. Every line that comes out of a sandbox is untrusted input to the
 * host (contract 7): it is parsed here, and anything that does not fit fails that sandbox alone
 * with a typed `protocol` error, never a TypeError in a stream handler.
 */
import { z } from 'zod';

const id = z.number().int().nonnegative();

export const HelperEventSchema = z.discriminatedUnion('ev', [
  z.object({ ev: z.literal('ready'), pid: z.number().int(), uid: z.number().int(), agentUid: z.number().int().optional(), workdir: z.string() }),
  z.object({ ev: z.literal('out'), id, stream: z.enum(['stdout', 'stderr']), data: z.string() }),
  z.object({ ev: z.literal('chunk'), id, data: z.string() }),
  z.object({
    ev: z.literal('done'),
    id: id.nullable(),
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: z.object({ kind: z.string().max(64), message: z.string().max(100_000) }).optional(),
  }),
]);

export type HelperEvent = z.output<typeof HelperEventSchema>;

export const ExecResultSchema = z.object({
  exitCode: z.number().int(),
  signal: z.string().max(32).nullable(),
  timedOut: z.boolean(),
  cancelled: z.boolean(),
  oomKilled: z.boolean(),
  truncated: z.boolean(),
  diskFull: z.string().nullable().optional(),
  stdout: z.string(),
  stderr: z.string(),
  durationMs: z.number().nonnegative(),
});
export type RawExecResult = z.output<typeof ExecResultSchema>;

export const ReadResultSchema = z.object({ data: z.string(), size: z.number().int().nonnegative(), truncated: z.boolean() });
export const WriteResultSchema = z.object({ bytes: z.number().int().nonnegative() });
export const ListResultSchema = z.object({
  entries: z.array(z.object({ path: z.string(), type: z.enum(['file', 'dir', 'symlink', 'other']), size: z.number(), mode: z.number().int() })),
  truncated: z.boolean(),
});
export const KillAllResultSchema = z.object({ signalled: z.number().int(), remaining: z.array(z.string()) });
export const SnapshotResultSchema = z.object({ roots: z.array(z.string()), manifest: z.array(z.string()), skipped: z.array(z.string()) });
export const RestoreResultSchema = z.object({ bytes: z.number().int().nonnegative() });
