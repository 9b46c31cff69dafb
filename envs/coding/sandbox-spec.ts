/**
 * The sandbox of a coding task. Project tasks run in physarum's base image plus pytest (the base
 * tree is written in by `setupSandbox`); SWE-bench-style tasks run in their own image, whose
 * repository the setup commands (root, once per image, cached) strip of every trace of the
 * future: remotes, other refs, reflogs, stashes and the objects only they reached.
 * Verification rooms are of the same spec but receive none of the agent's files (see
 * NO_AGENT_FILES): the only thing that crosses is the agent's diff, read by the host.
 */
import { InvalidInputError, type SandboxSpec } from '../../src/index.ts';
import type { SweBenchInstance } from './dataset.ts';
import type { ResolvedCodingOptions } from './options.ts';

/** physarum's base image (python3, git) with Debian's pytest; built once per Docker daemon. */
export const CODING_IMAGE = {
  dockerfile: [
    'FROM physarum/base',
    'RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-pytest \\',
    ' && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin',
    '',
  ].join('\n'),
};

/**
 * The verification room's `verifyPaths`: a path under /proc that can never exist, so a room copies
 * nothing from the agent's sandbox (an empty list is refused by the pool, and any real path would
 * be one the agent could fill).
 */
export const NO_AGENT_FILES = '/proc/physarum-coding-env-carries-no-agent-files';

const COMMIT = /^[0-9a-f]{7,64}$/;

/** Leaves only base_commit and its past: run in the repository, as root (image setup) or its owner. */
export function scrubHistoryScript(baseCommit: string): string {
  if (!COMMIT.test(baseCommit)) throw new InvalidInputError(`base_commit '${baseCommit}' is not a hex commit id`);
  return [
    'set -e',
    // The image's repository may belong to another uid than the one scrubbing it.
    "export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*'",
    `head=$(git rev-parse HEAD)`,
    `if [ "$head" != "${baseCommit}" ]; then echo "HEAD is $head, not base_commit ${baseCommit}" >&2; exit 1; fi`,
    'git checkout -q --detach HEAD',
    'git for-each-ref --format="%(refname)" | while read -r ref; do git update-ref -d "$ref"; done',
    'git remote | while read -r r; do git remote remove "$r"; done',
    'git checkout -q -B main',
    'rm -rf .git/logs .git/worktrees .git/refs/original',
    'rm -f .git/ORIG_HEAD .git/FETCH_HEAD .git/MERGE_HEAD .git/CHERRY_PICK_HEAD .git/REVERT_HEAD .git/AUTO_MERGE',
    'git worktree prune',
    // -a without -l copies what alternates lent, so the alternates file can go; what no ref reaches is dropped.
    'git repack -a -d -q',
    'rm -f .git/objects/info/alternates',
    'git prune --expire=now',
  ].join('\n');
}

export function codingSandboxSpec(task: SweBenchInstance, options: ResolvedCodingOptions): SandboxSpec {
  const common = { workdir: options.workdir, limits: options.limits, network: false, verifyPaths: [NO_AGENT_FILES] };
  if (!options.image) return { ...common, image: CODING_IMAGE };
  return { ...common, image: options.image(task), setup: [scrubHistoryScript(task.base_commit)], setupNetwork: false };
}
