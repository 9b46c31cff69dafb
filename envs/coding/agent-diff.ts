/**
 * The agent's work as one diff against base_commit, computed with git in the agent's sandbox
 * after `finalize()`: tracked edits, deletions and new files alike (a throwaway index holds base
 * plus the working tree, so whatever the agent staged, committed or reset does not matter). The
 * agent controls that sandbox, its repository and its .git, so what comes back is untrusted text:
 * capped in size here, and applied only in a verification room by git, never interpreted here.
 * A repository the agent broke so that git cannot diff it is the agent's doing (reward 0).
 */
import type { Sandbox } from '../../src/index.ts';
import { cachePathspecs, patchPaths } from './protected-paths.ts';

export type AgentDiff = { ok: true; diff: string } | { ok: false; reason: string };

// $1 = base_commit, the rest = pathspecs. Config the agent could have planted in .git/config to
// run programs (fsmonitor, hooks, external diff, textconv) is switched off for these commands.
const DIFF_SCRIPT = [
  'set -e',
  'base=$1; shift',
  'index=$(mktemp)',
  'trap \'rm -f "$index"\' EXIT',
  'export GIT_INDEX_FILE="$index" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null',
  'g() { git --no-replace-objects -c core.fsmonitor=false -c core.hooksPath=/dev/null -c core.untrackedCache=false "$@"; }',
  'g read-tree "$base"',
  'g add -A -- . "$@"',
  'g diff --cached --binary --no-renames --no-ext-diff --no-textconv --no-color --full-index "$base" --',
].join('\n');

/**
 * The task's own test files (visible ones sit untracked in the working tree) are left out: they
 * are never the agent's to change, and the room would drop them anyway.
 */
export async function agentDiff(sandbox: Sandbox, baseCommit: string, testPatch: string, maxBytes: number, signal?: AbortSignal): Promise<AgentDiff> {
  const excludes = [...patchPaths(testPatch).map((p) => `:(exclude,literal)${p}`), ...cachePathspecs()];
  const r = await sandbox.exec(['bash', '-c', DIFF_SCRIPT, 'agent-diff', baseCommit, ...excludes], {
    signal, timeoutMs: 120_000, maxOutputBytes: maxBytes + 1,
  });
  if (r.timedOut) return { ok: false, reason: 'computing the diff ran past 120 s' };
  if (r.exitCode !== 0) return { ok: false, reason: `git cannot diff the workdir against base_commit: ${r.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 400)}` };
  if (r.truncated || Buffer.byteLength(r.stdout) > maxBytes) return { ok: false, reason: `the diff is larger than ${maxBytes} bytes` };
  return { ok: true, diff: r.stdout };
}
