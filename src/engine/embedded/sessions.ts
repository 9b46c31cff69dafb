/**
 * SGLang's non-streaming sessions (reference §2): a tree of finished requests per session; a new
 * turn names the node it continues from and sends only its new tokens. The KV reuse itself comes
 * from the slot pool's prefix matching, so a session is only bookkeeping of token histories.
 */
import { randomUUID } from 'node:crypto';
import type { SessionParams } from '../../protocol/sglang-types.ts';
import { BadGenerateRequest } from './sampling-plan.ts';

interface SessionNode {
  prompt: number[];
  output: number[];
  finished: boolean;
  parent: string | null;
}

interface Session {
  nodes: Map<string, SessionNode>;
  timeoutMs: number | undefined;
  timer: NodeJS.Timeout | undefined;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  /** Returns the session id, or undefined when the id is already open. */
  open({ sessionId, timeoutSeconds }: { sessionId?: string; timeoutSeconds?: number }): string | undefined {
    const id = sessionId ?? randomUUID().replaceAll('-', '');
    if (this.sessions.has(id)) return undefined;
    const session: Session = { nodes: new Map(), timeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000, timer: undefined };
    this.sessions.set(id, session);
    this.touch(id, session);
    return id;
  }

  close(id: string): void {
    const session = this.sessions.get(id);
    if (session?.timer) clearTimeout(session.timer);
    this.sessions.delete(id);
  }

  closeAll(): void {
    for (const id of [...this.sessions.keys()]) this.close(id);
  }

  /** The full context for a session request, and a function that records the finished node. */
  resolve(params: SessionParams, rid: string, newInput: readonly number[], bosId: number | null):
    { context: number[]; record(output: readonly number[], maxNewTokens: number): void } {
    const session = this.sessions.get(params.id);
    if (!session) throw new BadGenerateRequest(`Invalid request: session id ${params.id} does not exist`);
    this.touch(params.id, session);
    const parentRid = params.rid ?? null;
    if (params.replace && parentRid === null) session.nodes.clear();
    let context: number[];
    if (parentRid === null) context = [...newInput];
    else {
      const parent = session.nodes.get(parentRid);
      if (!parent) throw new BadGenerateRequest('Invalid request session id');
      if (!parent.finished) throw new BadGenerateRequest(`Invalid request: the session request ${parentRid} has not finished`);
      if (params.replace) this.dropDescendants(session, parentRid);
      // A continuation never repeats the BOS of the new chunk.
      const input = bosId !== null && newInput[0] === bosId ? newInput.slice(1) : newInput;
      const history = params.drop_previous_output ? [...parent.prompt] : [...parent.prompt, ...parent.output];
      const offset = params.offset ?? 0;
      context = [...(offset !== 0 ? history.slice(0, offset) : history), ...input];
    }
    const node: SessionNode = { prompt: context, output: [], finished: false, parent: parentRid };
    session.nodes.set(rid, node);
    return {
      context,
      record: (output, maxNewTokens) => {
        node.output = output.slice(0, maxNewTokens);
        node.finished = true;
      },
    };
  }

  private dropDescendants(session: Session, rid: string): void {
    for (const [id, node] of session.nodes) {
      if (node.parent === rid) {
        this.dropDescendants(session, id);
        session.nodes.delete(id);
      }
    }
  }

  private touch(id: string, session: Session): void {
    if (session.timeoutMs === undefined) return;
    if (session.timer) clearTimeout(session.timer);
    session.timer = setTimeout(() => this.close(id), session.timeoutMs);
    session.timer.unref();
  }
}
