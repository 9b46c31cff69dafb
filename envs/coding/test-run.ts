/**
 * Runs the task's tests in the verification room and reads each test's outcome from a small
 * pytest plugin (loaded with `-p` from a directory outside the repository), not from pytest's
 * printed output, which the code under test can print into. The test files of the FAIL_TO_PASS
 * and PASS_TO_PASS ids are run whole and the ids looked up, so one id pytest cannot find does not
 * stop the others. A run that ends without the plugin's report (the code under test exited the
 * interpreter, hung past the limit, ran out of memory) counts every test as not passed: the room
 * holds nothing of the agent's but its diff, so that is the agent's doing. Caveat, as in SWE-bench:
 * the code under test runs in pytest's own process and could, written to do so, tamper with it.
 */
import { z } from 'zod';
import { SandboxError, type Sandbox } from '../../src/index.ts';

const PLUGIN = `
import json, os
_report = os.environ["PHYSARUM_VERIFY_REPORT"]
_outcomes = {}

def _record(nodeid, outcome):
    if _outcomes.get(nodeid) not in ("failed", "error"):
        _outcomes[nodeid] = outcome

def pytest_collectreport(report):
    if report.failed:
        _record(report.nodeid, "error")

def pytest_runtest_logreport(report):
    xfail = hasattr(report, "wasxfail")
    if report.failed:
        _record(report.nodeid, "failed" if report.when == "call" else "error")
    elif report.when == "call":
        _record(report.nodeid, ("xfailed" if report.skipped else "xpassed") if xfail else "passed")
    elif report.skipped:
        _record(report.nodeid, "xfailed" if xfail else "skipped")

def pytest_sessionfinish(session, exitstatus):
    with open(_report + ".tmp", "w") as f:
        json.dump({"outcomes": _outcomes, "exitstatus": int(exitstatus)}, f)
    os.replace(_report + ".tmp", _report)
`;

const Report = z.object({ outcomes: z.record(z.string(), z.string()), exitstatus: z.number() });
/** Outcomes that count as passing (SWE-bench's rule: passed, or an expected failure). */
const PASSING = new Set(['passed', 'xfailed']);

export interface TestRun {
  /** Test id → outcome, for every requested id ('missing' when pytest never reported it). */
  outcomes: Record<string, string>;
  /** Why outcomes are missing, when the run itself ended badly. */
  problem: string | undefined;
}

export const passes = (outcome: string | undefined): boolean => outcome !== undefined && PASSING.has(outcome);

export interface RunTestsOptions {
  python: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function runTests(room: Sandbox, testIds: readonly string[], { python, timeoutMs, signal }: RunTestsOptions): Promise<TestRun> {
  const dir = `/tmp/physarum-verify-${Math.random().toString(36).slice(2)}`;
  const report = `${dir}/report.json`;
  await room.writeFile(`${dir}/physarum_verify.py`, PLUGIN, { signal });
  const files = [...new Set(testIds.map((id) => id.split('::')[0]!))].sort();
  const argv = [python, '-m', 'pytest', '-p', 'physarum_verify', '-p', 'no:cacheprovider', '--rootdir', room.spec.workdir,
    '--continue-on-collection-errors', '-q', '--tb=no', '--', ...files];
  const missing = (problem: string): TestRun => ({ outcomes: Object.fromEntries(testIds.map((id) => [id, 'missing'])), problem });
  let r;
  try {
    r = await room.exec(argv, { env: { PYTHONPATH: dir, PHYSARUM_VERIFY_REPORT: report }, signal, timeoutMs, maxOutputBytes: 64 * 1024 });
  } catch (error) {
    // Memory and disk are exhausted only by what runs: the code under test, i.e. the agent's.
    if (error instanceof SandboxError && (error.reason === 'oom' || error.reason === 'disk_limit')) return missing(`the test run hit the room's ${error.reason}`);
    throw error;
  }
  if (r.timedOut) return missing(`the test run ran past ${Math.round(timeoutMs / 1000)} s`);
  let parsed: z.infer<typeof Report>;
  try {
    parsed = Report.parse(JSON.parse((await room.readFileBytes(report, { signal, maxBytes: 8 << 20 })).toString('utf8')));
  } catch (error) {
    if (error instanceof SandboxError) throw error;
    return missing(`pytest ended (exit ${r.exitCode}) without its report: ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' | ').slice(0, 400)}`);
  }
  const outcomes = Object.fromEntries(testIds.map((id) => [id, parsed.outcomes[id] ?? 'missing']));
  return { outcomes, problem: undefined };
}
