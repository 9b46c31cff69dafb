/**
 * A scripted policy: known assistant turns replayed for known tasks. Users validate an env with a
 * known solution this way (`--engine scripted:<file>`), and tests and benches get a deterministic
 * engine. File shape (docs/engines.md):
 *
 *   { "episodes": [ { "task": "<text of the task>", "role": "policy", "turns": ["reply 1", "reply 2"] } ] }
 *
 * A turn is keyed by task, role and turn index, never by which replies the prompt already holds:
 * physarum's episode runner names each request `physarum:<rolloutId>:<role>:<turn>` (its rid), so
 * the index is exact even when a reply's text already appears in the prompt ("cherry" answered to
 * "Reverse the word cherry"). The episode is bound at the role's first turn, to the first entry
 * of that role whose `task` occurs in the prompt (case-sensitive, exact substring).
 *
 * Requests without such a rid (curl, sessions, chat completions), or every request when the
 * script says `"turnIndex": "prompt"`, count the turn from the prompt instead: how many of the
 * entry's replies it already holds (whitespace and `<think>` blocks ignored).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InvalidInputError } from '../../protocol/errors.ts';
import { parseTurnRid } from '../../protocol/turn-rid.ts';

export const ScriptedEpisode = z.strictObject({
  /**
   * Text that identifies the task in the role's first prompt (case-sensitive substring; first
   * matching entry wins). '' matches every task: a catch-all entry, listed last.
   */
  task: z.string(),
  /** The role these turns belong to (multi-agent envs); omitted = any role. */
  role: z.string().min(1).optional(),
  /** Assistant replies in order: turn i of the role gets `turns[i]`. */
  turns: z.array(z.string()).min(1),
});
export const ScriptedPolicy = z.strictObject({
  /** `rid` (default): turn index from physarum's request id; `prompt`: counted from the replies found in the prompt. */
  turnIndex: z.enum(['rid', 'prompt']).default('rid'),
  episodes: z.array(ScriptedEpisode).min(1),
});
export type ScriptedEpisode = z.infer<typeof ScriptedEpisode>;
export type ScriptedPolicy = z.input<typeof ScriptedPolicy>;

export async function loadScript(file: string): Promise<ScriptedPolicy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError(`cannot read script '${file}': ${(error as Error).message}`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`script '${file}' is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseScript(value, `script '${file}'`);
}

export function parseScript(value: unknown, what = 'script'): z.output<typeof ScriptedPolicy> {
  const result = ScriptedPolicy.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const old = result.error.issues.some((i) => i.code === 'unrecognized_keys' && i.keys.includes('match'));
    const hint = old ? " ('match' is now 'task': the text that identifies the task)" : '';
    throw new InvalidInputError(`${what} is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}${hint}`);
  }
  return result.data;
}

export type ScriptChoice =
  | { ok: true; episodeIndex: number; turnIndex: number; reply: string }
  | { ok: false; message: string };

/**
 * Templates re-render history: past reasoning may be dropped (Qwen3) and tool-call JSON
 * re-spaced. So turns are found in the prompt with `<think>` blocks and all whitespace removed.
 */
function normalize(text: string): string {
  return text.replace(/<think>[\s\S]*?<\/think>/g, '').replace(/\s+/g, '');
}

/** How many of `turns` occur in `prompt`, in order (stops at the first missing one). */
export function countTurnsPresent(turns: readonly string[], prompt: string): number {
  const haystack = normalize(prompt);
  let position = 0;
  let count = 0;
  for (const turn of turns) {
    const needle = normalize(turn);
    const found = haystack.indexOf(needle, position);
    if (found === -1) break;
    position = found + needle.length;
    count++;
  }
  return count;
}

/**
 * Chooses replies for one script, remembering which entry each (rollout, role) was bound to at
 * its first turn, so later prompts (holding the agent's own text) are never matched again.
 */
export class ScriptedReplies {
  private readonly policy: z.output<typeof ScriptedPolicy>;
  private readonly bound = new Map<string, number>();

  constructor(policy: ScriptedPolicy) {
    this.policy = ScriptedPolicy.parse(policy);
  }

  choose(prompt: string, rid?: string): ScriptChoice {
    const key = this.policy.turnIndex === 'rid' ? parseTurnRid(rid) : undefined;
    const boundKey = key ? `${key.rolloutId}\0${key.role}` : undefined;
    let episodeIndex = boundKey !== undefined && key!.turn > 0 ? this.bound.get(boundKey) : undefined;
    episodeIndex ??= this.policy.episodes.findIndex((e) => (e.role === undefined || !key || e.role === key.role) && prompt.includes(e.task));
    if (episodeIndex === -1) {
      const tail = prompt.length > 120 ? `…${prompt.slice(-120)}` : prompt;
      const tasks = this.policy.episodes.map((e) => JSON.stringify(e.task)).join(', ');
      const who = key ? ` for role '${key.role}'` : '';
      return { ok: false, message: `scripted policy: no episode${who} has a task found in the prompt (tasks: ${tasks}; case-sensitive); prompt: ${JSON.stringify(tail)}` };
    }
    if (boundKey !== undefined) this.remember(boundKey, episodeIndex);
    const episode = this.policy.episodes[episodeIndex]!;
    const turnIndex = key ? key.turn : countTurnsPresent(episode.turns, prompt);
    if (turnIndex >= episode.turns.length)
      return {
        ok: false,
        message: `scripted policy: episode ${episodeIndex} (task ${JSON.stringify(episode.task)}) has ${episode.turns.length} turn(s); turn ${turnIndex} was asked for`,
      };
    return { ok: true, episodeIndex, turnIndex, reply: episode.turns[turnIndex]! };
  }

  private remember(key: string, episodeIndex: number): void {
    this.bound.delete(key);
    this.bound.set(key, episodeIndex);
    // Bounded: a long-lived server forgets the oldest episodes (they are long finished).
    if (this.bound.size > 100_000) this.bound.delete(this.bound.keys().next().value!);
  }
}

/** One-off choice (no memory of bindings): for tests and tools. */
export function chooseScriptedReply(policy: ScriptedPolicy, prompt: string, rid?: string): ScriptChoice {
  return new ScriptedReplies(policy).choose(prompt, rid);
}
