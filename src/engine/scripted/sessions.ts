/**
 * SGLang's non-streaming session tree (reference §2), for servers that mimic SGLang: each request
 * in a session is a node named by its rid; a new request continues from node `rid` (prompt +
 * output + new input), splices at `offset`, drops the previous output, or replaces a subtree.
 */
import { randomUUID } from 'node:crypto';
import type { SessionParams } from '../../protocol/sglang-types.ts';

interface SessionNode {
  rid: string;
  parent: string | null;
  prompt: number[];
  output: number[];
  maxNewTokens: number | null;
  finished: boolean;
  /** Aborts the request if it is still running (used by `replace`). */
  abort: () => void;
}

interface Session {
  id: string;
  nodes: Map<string, SessionNode>;
  timeoutMs: number | undefined;
  timer: NodeJS.Timeout | undefined;
}

export class SessionError extends Error {}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  /** Returns the id, or undefined when that id is already open (upstream: a 400). */
  open(sessionId: string | undefined, timeoutSeconds: number | undefined): string | undefined {
    const id = sessionId ?? randomUUID().replaceAll('-', '');
    if (this.sessions.has(id)) return undefined;
    const session: Session = { id, nodes: new Map(), timeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000, timer: undefined };
    this.sessions.set(id, session);
    this.touch(session);
    return id;
  }

  close(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    clearTimeout(session.timer);
    for (const node of session.nodes.values()) if (!node.finished) node.abort();
    this.sessions.delete(sessionId);
  }

  closeAll(): void {
    for (const id of [...this.sessions.keys()]) this.close(id);
  }

  /**
   * The token context of a new request in a session (throws SessionError with upstream's
   * message when the session or parent rid is unknown or unfinished) and registers its node.
   */
  begin(params: SessionParams, rid: string, newInput: number[], bosId: number | undefined, abort: () => void): { context: number[]; node: SessionNode } {
    const session = this.sessions.get(params.id);
    if (!session) throw new SessionError(`Invalid request: session id ${params.id} does not exist`);
    this.touch(session);
    const parentRid = params.rid ?? null;
    let context: number[];
    if (parentRid === null) {
      if (params.replace) this.removeSubtree(session, null);
      context = [...newInput];
    } else {
      const parent = session.nodes.get(parentRid);
      if (!parent) throw new SessionError('Invalid request session id');
      if (params.replace) {
        if (!parent.finished) parent.abort();
        this.removeSubtree(session, parentRid);
      } else if (!parent.finished) {
        throw new SessionError(`The session request ${parentRid} has not finished yet`);
      }
      // The new turn's leading BOS is dropped when continuing (it would sit mid-sequence).
      const input = bosId !== undefined && newInput[0] === bosId ? newInput.slice(1) : newInput;
      const output = parent.maxNewTokens === null ? parent.output : parent.output.slice(0, parent.maxNewTokens);
      const full = [...parent.prompt, ...output];
      // Python slice semantics: a negative offset counts from the end (Array#slice agrees).
      if (params.offset) context = [...full.slice(0, params.offset), ...input];
      else if (params.drop_previous_output) context = [...parent.prompt, ...input];
      else context = [...full, ...input];
    }
    if (session.nodes.has(rid)) throw new SessionError(`Duplicate request ID detected within the session: ${rid}`);
    const node: SessionNode = { rid, parent: parentRid, prompt: context, output: [], maxNewTokens: null, finished: false, abort };
    session.nodes.set(rid, node);
    return { context, node };
  }

  /** Record the finished output of a node (a session closed meanwhile is fine). */
  finish(node: SessionNode, output: number[], maxNewTokens: number | null): void {
    node.output = output;
    node.maxNewTokens = maxNewTokens;
    node.finished = true;
  }

  private removeSubtree(session: Session, root: string | null): void {
    const doomed = new Set<string>();
    let grew = true;
    while (grew) {
      grew = false;
      for (const node of session.nodes.values()) {
        if (doomed.has(node.rid)) continue;
        if (root === null || node.parent === root || (node.parent !== null && doomed.has(node.parent))) {
          doomed.add(node.rid);
          grew = true;
        }
      }
    }
    for (const rid of doomed) {
      const node = session.nodes.get(rid)!;
      if (!node.finished) node.abort();
      session.nodes.delete(rid);
    }
  }

  private touch(session: Session): void {
    if (session.timeoutMs === undefined) return;
    clearTimeout(session.timer);
    session.timer = setTimeout(() => this.close(session.id), session.timeoutMs);
    session.timer.unref();
  }
}
