/**
 * Carries the agent's diff into a verification room that already holds base_commit plus the test
 * patch. The diff is untrusted text, so nothing here parses it: git applies it to a scratch
 * worktree of base (git's own parser decides what it means; paths into .git or out of the tree are
 * refused by git), then git writes the diff of that worktree back out without the paths the room
 * never carries (protected-paths.ts), and that filtered diff is applied to the room's repository.
 * A diff that does not apply is the agent's (reward 0); what was dropped is reported by name.
 */
import { VerifierError, type Sandbox } from '../../src/index.ts';
import { droppedPathspecs } from './protected-paths.ts';

export type RoomApply = { ok: true; dropped: string[]; carried: string[] } | { ok: false; reason: string };

// stdin = the agent's diff; $1 = the scratch directory; the rest = exclude pathspecs.
const APPLY_SCRIPT = [
  'set -e',
  'scratch=$1; shift',
  'mkdir -p "$scratch"',
  'repo=$PWD',
  'g() { git -c core.hooksPath=/dev/null "$@"; }',
  'g worktree add -q --detach "$scratch/tree" HEAD || exit 5',
  'trap \'cd "$repo"; g worktree remove --force "$scratch/tree" >/dev/null 2>&1 || true; g worktree prune\' EXIT',
  'cd "$scratch/tree"',
  'if ! g apply --whitespace=nowarn --binary -; then echo "the agent\'s diff does not apply at base_commit" >&2; exit 3; fi',
  'g add -A',
  'g diff --cached --name-only -z HEAD > "$scratch/all"',
  'g read-tree HEAD',
  'g add -A -- . "$@"',
  'g diff --cached --name-only -z HEAD > "$scratch/kept"',
  'g diff --cached --binary --no-renames --full-index HEAD > "$scratch/filtered.diff"',
  'cd "$repo"',
  'if [ -s "$scratch/filtered.diff" ] && ! g apply --whitespace=nowarn --binary "$scratch/filtered.diff"; then',
  '  echo "the agent\'s diff, without the paths the room does not carry, does not apply on top of the test patch" >&2; exit 4',
  'fi',
].join('\n');

const names = (text: string): string[] => text.split('\0').filter((n) => n.length > 0);

export async function applyAgentDiff(room: Sandbox, diff: string, testPatch: string, signal?: AbortSignal): Promise<RoomApply> {
  if (diff.trim() === '') return { ok: true, dropped: [], carried: [] };
  const scratch = `/tmp/physarum-apply-${Math.random().toString(36).slice(2)}`;
  const r = await room.exec(['bash', '-c', APPLY_SCRIPT, 'room-apply', scratch, ...droppedPathspecs(testPatch)], { stdin: diff, signal, timeoutMs: 120_000 });
  // Before the agent's diff is touched (the scratch worktree of base): the room's failure, not the agent's.
  if (r.exitCode === 5) throw new VerifierError('resolved', `the verification room cannot make a scratch worktree: ${r.stderr.trim().slice(-400)}`);
  if (r.exitCode === 3 || r.exitCode === 4) return { ok: false, reason: `${r.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 500)}` };
  if (r.exitCode !== 0 || r.timedOut) return { ok: false, reason: `carrying the agent's diff failed (exit ${r.exitCode}): ${r.stderr.trim().slice(-400)}` };
  const all = names(await room.readFile(`${scratch}/all`, { signal }));
  const carried = names(await room.readFile(`${scratch}/kept`, { signal }));
  const kept = new Set(carried);
  return { ok: true, dropped: all.filter((n) => !kept.has(n)), carried };
}
