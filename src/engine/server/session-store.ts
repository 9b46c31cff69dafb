/**
 * SGLang's non-streaming session tree (docs/engines.md, "Sessions"), shared by every server that
 * speaks SGLang's wire. Each request in a session is a node named by its rid; a new request
 * continues from node `rid`: `parent.prompt + parent.output[:max_new_tokens]`, or the parent's
 * prompt alone with `drop_previous_output`, then cut at `offset` (Python slice) — drop first,
 * offset second, as upstream — then the new input without a leading BOS.
 * `replace` aborts a running parent and deletes its descendants (with `rid: null`, the whole tree).
 * Unknown or unfinished parents are refused with upstream's message; a rid still running in the
 * session is a duplicate (400), a finished one is replaced, as upstream's node table does.
 */
import { randomUUID } from 'node:crypto';
import type { SessionParams } from '../../protocol/sglang-types.ts';
import { BadGenerateRequest } from './bad-request.ts';

interface SessionNode {
  rid: string;
  parent: string | null;
  prompt: number[];
  output: number[];
  finished: boolean;
  /** Aborts the request if it is still running (used by `replace` and close). */
  abort: () => void;
}

interface Session {
  id: string;
  nodes: Map<string, SessionNode>;
  timeoutMs: number | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** A request's place in its session: its full context, and where its output is recorded. */
export interface SessionTurn {
  context: number[];
  /** Records the finished output; `maxNewTokens` caps what a continuation carries over. */
  finish(output: readonly number[], maxNewTokens: number | null): void;
}

const INVALID_RID = 'Invalid request session id';

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  /** Returns the id, or undefined when that id is already open (upstream: a 400). */
  open(sessionId?: string, timeoutSeconds?: number): string | undefined {
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

  /** Resolves a request's context and registers its node; throws BadGenerateRequest as upstream refuses. */
  begin(params: SessionParams, rid: string, newInput: readonly number[], bosId: number | null | undefined, abort: () => void = () => {}): SessionTurn {
    const session = this.sessions.get(params.id);
    if (!session) throw new BadGenerateRequest(`Invalid request: session id ${params.id} does not exist`);
    this.touch(session);
    const parentRid = params.rid ?? null;
    const parent = parentRid === null ? undefined : session.nodes.get(parentRid);
    if (parentRid !== null && !parent) throw new BadGenerateRequest(INVALID_RID);
    if (parent && !parent.finished && !params.replace) throw new BadGenerateRequest(INVALID_RID);
    const existing = session.nodes.get(rid);
    if (existing && !existing.finished) throw new BadGenerateRequest(`Duplicate request ID detected: ${rid}`);
    if (params.replace) {
      if (parent) {
        if (!parent.finished) parent.abort();
        this.removeDescendants(session, parent.rid);
      } else this.removeDescendants(session, null);
    }
    const context = parent ? continuation(parent, params, bosId === null || bosId === undefined || newInput[0] !== bosId ? newInput : newInput.slice(1)) : [...newInput];
    const node: SessionNode = { rid, parent: parentRid, prompt: context, output: [], finished: false, abort };
    session.nodes.set(rid, node);
    return {
      context,
      finish(output, maxNewTokens) {
        node.output = maxNewTokens === null ? [...output] : output.slice(0, maxNewTokens);
        node.finished = true;
      },
    };
  }

  /** Deletes the nodes below `root` (every node when root is null), aborting running ones. */
  private removeDescendants(session: Session, root: string | null): void {
    const doomed = new Set<string>();
    for (let grew = true; grew; ) {
      grew = false;
      for (const node of session.nodes.values()) {
        if (doomed.has(node.rid) || node.rid === root) continue;
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

/** Upstream's order: the history (dropping the output if asked), then the offset cut, then the new input. */
function continuation(parent: SessionNode, params: SessionParams, input: readonly number[]): number[] {
  const history = params.drop_previous_output ? [...parent.prompt] : [...parent.prompt, ...parent.output];
  // Python slice semantics: a negative offset counts from the end (Array#slice agrees).
  return [...(params.offset ? history.slice(0, params.offset) : history), ...input];
}
