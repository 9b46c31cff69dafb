/**
 * The task's repository at base_commit inside a sandbox, built the same way for the agent
 * (`setupSandbox`) and for a verification room (a room does not replay setupSandbox). A project
 * task's base tree is written from the host and committed with BASE_COMMIT_RECIPE, which gives
 * base_commit exactly; an image's repository is already there (scrubbed by the image setup).
 * Either way HEAD must be base_commit, or the task fails with the reason, never a reward.
 */
import { EnvError, type Sandbox } from '../../src/index.ts';
import { BASE_COMMIT_RECIPE, type SweBenchInstance } from './dataset.ts';
import { scrubHistoryScript } from './sandbox-spec.ts';

const WRITE_TREE = [
  'import json, os, sys',
  'for rel, text in json.load(sys.stdin).items():',
  '    os.makedirs(os.path.dirname(rel) or ".", exist_ok=True)',
  '    with open(rel, "w", encoding="utf-8", newline="") as f:',
  '        f.write(text)',
].join('\n');

export interface PrepareRepoOptions {
  /** A project task's base tree (path → text); undefined when the image holds the repository. */
  tree: Record<string, string> | undefined;
  /** Apply the test patch to the working tree (uncommitted: HEAD stays base_commit). */
  withTests: boolean;
  /** Drop the new repository's reflog and repack (the agent's sandbox; a room skips it, no agent sees it). */
  scrub: boolean;
  signal?: AbortSignal;
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-5).join(' | ').slice(-600);
}

export async function prepareRepo(sandbox: Sandbox, task: SweBenchInstance, { tree, withTests, scrub, signal }: PrepareRepoOptions): Promise<void> {
  const id = task.instance_id;
  if (tree) {
    const wrote = await sandbox.exec(['python3', '-c', WRITE_TREE], { stdin: JSON.stringify(tree), signal, timeoutMs: 60_000 });
    if (wrote.exitCode !== 0) throw new EnvError(`task ${id}: writing the base tree failed: ${tail(wrote.stderr)}`);
    const committed = await sandbox.exec(`${BASE_COMMIT_RECIPE} && git rev-parse HEAD`, { signal, timeoutMs: 60_000 });
    const head = committed.stdout.trim();
    if (committed.exitCode !== 0) throw new EnvError(`task ${id}: committing the base tree failed: ${tail(committed.stderr)}`);
    if (head !== task.base_commit) {
      throw new EnvError(`task ${id}: the base tree commits as ${head}, not base_commit ${task.base_commit} (the task's patch or repos/ folder does not match its base_commit)`);
    }
    // A fresh repository has one commit; the scrub drops its reflog too, so `git reflog` shows nothing.
    const scrubbed = scrub ? await sandbox.exec(scrubHistoryScript(task.base_commit), { signal, timeoutMs: 60_000 }) : undefined;
    if (scrubbed && scrubbed.exitCode !== 0) throw new EnvError(`task ${id}: cleaning the repository's history failed: ${tail(scrubbed.stderr)}`);
  } else {
    const r = await sandbox.exec('git rev-parse HEAD', { signal, timeoutMs: 30_000 });
    if (r.exitCode !== 0 || r.stdout.trim() !== task.base_commit) {
      throw new EnvError(`task ${id}: the image's repository at ${sandbox.spec.workdir} is at '${r.stdout.trim() || tail(r.stderr)}', not base_commit ${task.base_commit}`);
    }
  }
  if (withTests) {
    const applied = await sandbox.exec(['git', 'apply', '--whitespace=nowarn', '-'], { stdin: task.test_patch, signal, timeoutMs: 60_000 });
    if (applied.exitCode !== 0) throw new EnvError(`task ${id}: the test patch does not apply at base_commit: ${tail(applied.stderr)}`);
  }
}
