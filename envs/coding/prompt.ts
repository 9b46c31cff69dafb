/**
 * What the agent reads: the issue (the symptom, never the fix), where the repository is, whether
 * the tests that reproduce it are in its working tree, and what grading ignores. The instance id
 * is in the first line so a scripted policy can name the task.
 */
import type { Message } from '../../src/index.ts';
import type { SweBenchInstance } from './dataset.ts';
import type { TestVisibility } from './options.ts';

export const SYSTEM_PROMPT = [
  'You are a software engineer fixing a bug in a git repository, inside a sandbox without network access.',
  'Use the tools to read the code, run it and edit it. Fix the source code; do not edit the tests:',
  'grading resets them, and ignores changes to conftest.py, pytest configuration and similar files.',
  'When the fix is done, call submit.',
].join(' ');

export function taskMessages(task: SweBenchInstance, workdir: string, tests: TestVisibility): Message[] {
  // The files of the failing tests: what reproduces the issue (the test patch may add helpers too).
  const testFiles = [...new Set(task.FAIL_TO_PASS.map((id) => id.split('::')[0]!))].sort();
  const where = tests === 'visible'
    ? `The tests that reproduce the issue are in the working tree (not committed): ${testFiles.join(', ')}. Run them with \`python3 -m pytest -q ${testFiles.join(' ')}\`.`
    : 'The tests that will check your fix are not in the repository; write your own checks if you need them.';
  const user = [
    `Task ${task.instance_id} in ${task.repo}.`,
    '',
    '<issue>',
    task.problem_statement.trim(),
    '</issue>',
    '',
    `The repository is checked out at ${workdir} (HEAD is the base commit). ${where}`,
    'Make the smallest change to the source that fixes the issue, then call submit.',
  ].join('\n');
  return [{ role: 'system', content: SYSTEM_PROMPT }, { role: 'user', content: user }];
}
