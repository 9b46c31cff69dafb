/**
 * A scripted policy: known assistant turns replayed against prompts. Users validate an env with a
 * known solution this way (`--engine scripted:<file>`), and tests and benches get a deterministic
 * engine. File shape: `{ "episodes": [ { "match": "<substring of the prompt>", "turns": [...] } ] }`.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InvalidInputError } from '../../protocol/errors.ts';

export const ScriptedEpisode = z.object({
  /** The episode applies to prompts that contain this substring (the first matching episode wins). */
  match: z.string(),
  /** Assistant replies in order; the reply index is how many of them the prompt already holds. */
  turns: z.array(z.string()).min(1),
});
export const ScriptedPolicy = z.object({ episodes: z.array(ScriptedEpisode).min(1) });
export type ScriptedEpisode = z.infer<typeof ScriptedEpisode>;
export type ScriptedPolicy = z.infer<typeof ScriptedPolicy>;

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

export function parseScript(value: unknown, what = 'script'): ScriptedPolicy {
  const result = ScriptedPolicy.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new InvalidInputError(`${what} is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
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

/** Pick the reply for a prompt; the failure message says what to fix in the script. */
export function chooseScriptedReply(policy: ScriptedPolicy, prompt: string): ScriptChoice {
  const episodeIndex = policy.episodes.findIndex((e) => prompt.includes(e.match));
  if (episodeIndex === -1) {
    const tail = prompt.length > 120 ? `…${prompt.slice(-120)}` : prompt;
    const matches = policy.episodes.map((e) => JSON.stringify(e.match)).join(', ');
    return { ok: false, message: `scripted policy: no episode matches the prompt (match strings: ${matches}); prompt: ${JSON.stringify(tail)}` };
  }
  const episode = policy.episodes[episodeIndex]!;
  const turnIndex = countTurnsPresent(episode.turns, prompt);
  if (turnIndex >= episode.turns.length)
    return {
      ok: false,
      message: `scripted policy: episode ${episodeIndex} (match ${JSON.stringify(episode.match)}) has ${episode.turns.length} turns and the prompt already holds all of them`,
    };
  return { ok: true, episodeIndex, turnIndex, reply: episode.turns[turnIndex]! };
}
