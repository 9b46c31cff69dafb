/**
 * The request id (SGLang `rid`) physarum's episode runner gives each policy turn:
 * `physarum:<rolloutId>:<role>:<turn>`, `turn` counting that role's turns from 0. It makes a turn
 * addressable on the wire (`/abort_request` by rollout prefix) and lets the scripted engine key
 * its replies by episode, role and turn index instead of by text in the prompt.
 */
export interface TurnKey {
  rolloutId: string;
  role: string;
  turn: number;
}

export function turnRid(key: TurnKey): string {
  return `physarum:${key.rolloutId}:${key.role}:${key.turn}`;
}

/** The parts of a physarum turn rid, or undefined for any other rid. */
export function parseTurnRid(rid: string | undefined): TurnKey | undefined {
  if (!rid?.startsWith('physarum:')) return undefined;
  const turnAt = rid.lastIndexOf(':');
  const roleAt = rid.lastIndexOf(':', turnAt - 1);
  const text = rid.slice(turnAt + 1);
  const turn = Number(text);
  if (roleAt <= 'physarum'.length || !/^\d+$/.test(text) || roleAt + 1 === turnAt) return undefined;
  return { rolloutId: rid.slice('physarum:'.length, roleAt), role: rid.slice(roleAt + 1, turnAt), turn };
}
