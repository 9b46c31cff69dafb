// Issue 12 §1, the host's side: finalize() trusts a sandbox only when the helper reports that init
// and itself are all that is left. The agent cannot make a process survive SIGKILL from the
// helper (tests/security/helper-takeover.test.ts), so a survivor is played here by a helper
// double on a stream, answering the way a compromised sandbox would.
import { Duplex, PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';
import { HelperConnection } from '../../sandboxes/helper-client.ts';
import { Sandbox } from '../../sandboxes/sandbox.ts';
import { parseSandboxSpec } from '../../sandboxes/spec.ts';
import { SandboxError } from '../../sandboxes/index.ts';

/** A sandbox whose helper answers killAll with `remaining`. */
function sandboxAnswering(remaining: unknown): Sandbox {
  const fromHost = new PassThrough();
  const toHost = new PassThrough();
  const stream = Duplex.from({ writable: fromHost, readable: toHost });
  let buffered = '';
  fromHost.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const req = JSON.parse(buffered.slice(0, nl)) as { id: number; op: string };
      buffered = buffered.slice(nl + 1);
      toHost.write(`${JSON.stringify({ id: req.id, ev: 'done', ok: true, result: { signalled: 1, remaining } })}\n`);
    }
  });
  const modem = { demuxStream: (s: NodeJS.ReadableStream, out: NodeJS.WritableStream) => s.pipe(out) } as unknown as Docker['modem'];
  const helper = new HelperConnection(stream, modem, 'double');
  const container = { id: 'double', remove: async () => undefined } as unknown as Docker.Container;
  return new Sandbox({ docker: {} as Docker, container, helper, spec: parseSandboxSpec({}), key: 'k', image: 'i', execLimit: pLimit(1) });
}

describe('finalize verifies that only the helper and init remain', () => {
  it('a survivor fails the sandbox as untrusted, attributed to the agent, and the sandbox is closed', async () => {
    const sb = sandboxAnswering(['42 python3 /tmp/impostor.py']);
    const err = await sb.finalize().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxError);
    expect(err).toMatchObject({ reason: 'untrusted', agentCaused: true });
    expect((err as Error).message).toMatch(/impostor/);
    expect(sb.isAlive).toBe(false);
    expect(sb.state).toBe('ready');
  });

  it('an answer without the list is a protocol failure, not trust', async () => {
    const err = await sandboxAnswering(undefined).finalize().catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'protocol' });
  });

  it('nothing left: finalized', async () => {
    const sb = sandboxAnswering([]);
    await sb.finalize();
    expect(sb.state).toBe('finalized');
  });
});
