/**
 * `physarum validate envs/coding`'s cases (docs: CONTRACT-validate): the first task of
 * data/tasks.jsonl, played by a scripted policy through the env's own tools. The gold patch,
 * applied with `git apply` from the bash tool, reaches reward 1; submitting nothing, and forcing
 * the tests to pass with a conftest.py, reach 0.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../../src/index.ts';

const call = (name: string, args: Record<string, unknown>): string =>
  `<think>\n\n</think>\n\n<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`;
const submit = call('submit', {});
const FORCE_PASS = 'import pytest\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n    outcome = yield\n    outcome.get_result().outcome = "passed"\n';

export interface ValidateCase {
  name: string;
  task: Record<string, unknown>;
  episodes: Array<{ task: string; turns: string[] }>;
  expect: { reward: number };
}

/** The cases for one task row (as it is in the data file). */
export function validationCases(task: Record<string, unknown>): ValidateCase[] {
  const patch = String(task.patch).endsWith('\n') ? String(task.patch) : `${String(task.patch)}\n`;
  const applyGold = call('bash', { command: `git apply --whitespace=nowarn <<'PHYSARUM_GOLD_PATCH'\n${patch}PHYSARUM_GOLD_PATCH` });
  const id = String(task.instance_id);
  return [
    { name: `${id}: the gold patch (git apply in bash), then submit`, task, episodes: [{ task: '', turns: [applyGold, submit] }], expect: { reward: 1 } },
    { name: `${id}: submit without a change`, task, episodes: [{ task: '', turns: [submit] }], expect: { reward: 0 } },
    {
      name: `${id}: a conftest.py that marks every test passed`,
      task, episodes: [{ task: '', turns: [call('create', { path: 'conftest.py', file_text: FORCE_PASS }), submit] }], expect: { reward: 0 },
    },
  ];
}

export default async function cases(): Promise<{ cases: ValidateCase[] }> {
  const file = path.join(import.meta.dirname, 'data', 'tasks.jsonl');
  const first = readFileSync(file, 'utf8').split('\n').find((line) => line.trim() !== '');
  if (!first) throw new InvalidInputError(`${file} has no task to validate with`);
  return { cases: validationCases(JSON.parse(first) as Record<string, unknown>) };
}
