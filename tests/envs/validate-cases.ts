// Replays an env's validate.json cases (CONTRACT: scripted episodes, Qwen3 template) through a real
// scripted SGLang server and runEpisode, and says which expectations failed. `physarum validate`
// is the user-facing command; this keeps each env's own file honest in its tests.
import { readFileSync } from 'node:fs';
import type { Chat } from '../../src/chat/chat-template.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import { startScriptedServer } from '../../src/engine/scripted/server.ts';
import type { AnyEnv } from '../../src/env/load-env.ts';
import { runEpisode } from '../../src/env/episode.ts';
import type { Sample } from '../../src/protocol/sample.ts';

interface Case {
  name: string;
  task: unknown;
  episodes: Array<{ task: string; role?: string; turns: string[] }>;
  expect: { reward?: number; role?: string; rewards?: Record<string, number>; status?: string };
}

export function readCases(file: string): Case[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { cases: Case[] }).cases;
}

/** Failures of one case, one line each (empty when it passes). */
export async function runCase(env: AnyEnv, c: Case, chat: Chat): Promise<{ failures: string[]; samples: Sample[] }> {
  const server = await startScriptedServer({ script: { episodes: c.episodes }, tokenizer: chat.tokenizer });
  try {
    const { samples } = await runEpisode({ env, task: c.task, engine: new SglangClient(server.url), chat, rolloutId: `validate-${c.name}`, groupIndex: 0, index: 0 });
    const failures: string[] = [];
    // Forks of one rollout share its reward; the last fork stands for the role.
    const byRole = new Map(samples.map((s) => [s.agent, s]));
    const check = (role: string, want: number): void => {
      const got = byRole.get(role);
      if (!got) failures.push(`${c.name}: no sample for role '${role}'`);
      else if (got.reward === null || Math.abs(got.reward - want) > 1e-9) failures.push(`${c.name}: role '${role}' reward ${got.reward} (${got.status} ${got.statusReason ?? ''}), expected ${want}`);
    };
    const e = c.expect;
    if (e.rewards) for (const [role, want] of Object.entries(e.rewards)) check(role, want);
    else if (e.reward !== undefined && e.role) check(e.role, e.reward);
    else if (e.reward !== undefined) for (const role of byRole.keys()) check(role, e.reward);
    if (e.status) for (const s of samples) if (s.status !== e.status) failures.push(`${c.name}: status ${s.status}, expected ${e.status}`);
    return { failures, samples };
  } finally {
    await server.close();
  }
}
