// The coding task the episode-level security tests run: calc.add is wrong; the reward runs its
// check in a verification room, and records what it saw in the agent's own sandbox.
import { z } from 'zod';
import { hasToolCall, rubric, ToolEnv, type EnvContext, type RewardContext } from '../../src/index.ts';
import type { Sandbox } from '../../sandboxes/index.ts';
import { bash, create, strReplace, submit } from '../../tools/index.ts';
import { CALC_CHECK, CALC_TASK } from './fixtures.ts';

type Task = { id: string };
type State = Record<string, unknown>;

/** Processes other than init, the helper and the probe itself, in the agent's sandbox at scoring. */
export const strays: string[][] = [];

async function passes(ctx: RewardContext<Task, State, Sandbox>): Promise<boolean> {
  const room = await ctx.verificationRoom();
  const r = await room.exec(CALC_CHECK, { timeoutMs: 30_000 });
  return r.exitCode === 0 && r.stdout.includes('PASS');
}

async function suite(ctx: RewardContext<Task, State, Sandbox>): Promise<boolean> {
  const room = await ctx.verificationRoom();
  const r = await room.exec('python3 -m pytest -q', { timeoutMs: 30_000 });
  return r.exitCode === 0 && /passed/.test(r.stdout);
}

/** The same check where the agent worked: what the reward would have been without a room. */
async function passesInAgentSandbox(ctx: RewardContext<Task, State, Sandbox>): Promise<boolean> {
  const r = await ctx.sandbox.exec(CALC_CHECK, { timeoutMs: 30_000 });
  return r.exitCode === 0 && r.stdout.includes('PASS');
}

async function strayProcesses(ctx: RewardContext<Task, State, Sandbox>): Promise<number> {
  const r = await ctx.sandbox.exec(['python3', '-c', 'import os\nfor p in os.listdir("/proc"):\n  if p.isdigit():\n    try: print(open("/proc/%s/cmdline" % p, "rb").read().replace(b"\\0", b" ").decode())\n    except OSError: pass']);
  const found = r.stdout.split('\n').filter((l) => /sleep 300/.test(l));
  strays.push(found);
  return found.length;
}

export class CalcEnv extends ToolEnv<Task, State, Sandbox> {
  readonly taskSchema = z.object({ id: z.string() });
  override readonly sandbox = { ...CALC_TASK, verifyPaths: ['calc.py'] };
  override readonly stopWhen = hasToolCall('submit');
  override readonly maxTurns = 6;
  readonly tools = { bash, create, str_replace: strReplace, submit };
  readonly rubric = rubric<Task, State>({ rewards: { passes, suite }, metrics: { strays: strayProcesses, passesInAgentSandbox } });
  reset({ task }: EnvContext<Task, State, Sandbox>) {
    return [{ role: 'user' as const, content: `Task ${task.id}: make calc.add(a, b) return a + b.` }];
  }
}
