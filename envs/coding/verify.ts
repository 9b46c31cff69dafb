/**
 * The reward of a coding episode (DESIGN.md contract 7): the agent's diff against base_commit is
 * taken from its sandbox as text; a verification room — a fresh sandbox of the task's image that
 * holds none of the agent's files — is built at base_commit, gets the test patch, is checked to
 * run pytest at all (before anything of the agent's is in it, so only infrastructure can fail
 * there), then gets the agent's diff minus the paths it never carries, and runs FAIL_TO_PASS and
 * PASS_TO_PASS without network. Resolved only if every one of them passes.
 * Failures of the room, the image or the task throw (the sample ends `verifier_error`, never 0);
 * whatever the agent's own diff or code causes scores 0 with the reason in `Verdict.reason`.
 */
import { VerifierError, type Sandbox } from '../../src/index.ts';
import { agentDiff } from './agent-diff.ts';
import type { SweBenchInstance } from './dataset.ts';
import type { ResolvedCodingOptions } from './options.ts';
import { prepareRepo } from './repo.ts';
import { applyAgentDiff } from './room-apply.ts';
import { passes, runTests } from './test-run.ts';

export interface Verdict {
  resolved: boolean;
  /** Of FAIL_TO_PASS and PASS_TO_PASS together, the fraction that pass (partial credit, a metric). */
  passedFraction: number;
  /** Test id → outcome (passed, failed, error, skipped, xfailed, xpassed, missing). */
  outcomes: Record<string, string>;
  /** One line: why. */
  reason: string;
  diffBytes: number;
  /** Paths of the agent's diff the room did not carry (tests, pytest config, conftest.py, ...). */
  dropped: string[];
  /** Paths of the agent's diff the room did carry. */
  carried: string[];
}

export interface VerifyInput {
  task: SweBenchInstance;
  /** The agent's sandbox, finalized (its processes stopped). */
  agent: Sandbox;
  /** Opens a verification room of the task (the episode's `ctx.verificationRoom`). */
  openRoom: () => Promise<Sandbox>;
  /** A project task's base tree; undefined when the image holds the repository. */
  tree: Record<string, string> | undefined;
  options: Pick<ResolvedCodingOptions, 'python' | 'testTimeoutMs' | 'maxDiffBytes'>;
  signal?: AbortSignal;
}

export function testIdsOf(task: SweBenchInstance): string[] {
  return [...new Set([...task.FAIL_TO_PASS, ...task.PASS_TO_PASS])];
}

export async function verify({ task, agent, openRoom, tree, options, signal }: VerifyInput): Promise<Verdict> {
  const ids = testIdsOf(task);
  const nothing = { outcomes: Object.fromEntries(ids.map((id) => [id, 'missing'])), passedFraction: 0, resolved: false, dropped: [], carried: [] };
  const taken = await agentDiff(agent, task.base_commit, task.test_patch, options.maxDiffBytes, signal);
  if (!taken.ok) return { ...nothing, reason: taken.reason, diffBytes: 0 };
  const diffBytes = Buffer.byteLength(taken.diff);

  const room = await openRoom();
  await prepareRepo(room, task, { tree, withTests: true, scrub: false, signal });
  const preflight = await room.exec([options.python, '-c', 'import pytest'], { signal, timeoutMs: 60_000 });
  if (preflight.exitCode !== 0) {
    throw new VerifierError('resolved', `pytest cannot run in the verification room (${options.python} -c 'import pytest' exited ${preflight.exitCode}): ${preflight.stderr.trim().slice(-300)}`);
  }
  const applied = await applyAgentDiff(room, taken.diff, task.test_patch, signal);
  if (!applied.ok) return { ...nothing, reason: applied.reason, diffBytes };

  const run = await runTests(room, ids, { python: options.python, timeoutMs: options.testTimeoutMs, signal });
  const passing = ids.filter((id) => passes(run.outcomes[id]));
  const resolved = ids.length > 0 && passing.length === ids.length;
  const failing = ids.filter((id) => !passes(run.outcomes[id]));
  const reason = run.problem ?? (resolved ? `all ${ids.length} tests pass` : `${failing.length} of ${ids.length} tests do not pass: ${failing.slice(0, 3).map((id) => `${id} (${run.outcomes[id]})`).join(', ')}`);
  return { resolved, passedFraction: ids.length === 0 ? 0 : passing.length / ids.length, outcomes: run.outcomes, reason, diffBytes, dropped: applied.dropped, carried: applied.carried };
}
