// What the security suites share: an agent that acts only through its tools (bash, python,
// create, str_replace) in a real sandbox, and the sandbox pools (reaped by run id after each file).
import type { ToolContext, ToolResult } from '../../src/env/tool.ts';
import type { SandboxLeases } from '../../src/env/sandbox-lease.ts';
import type { Sandbox, SandboxPool, SandboxSpec } from '../../sandboxes/index.ts';
import { bash, create, python, strReplace, view } from '../../tools/index.ts';

export { testPools, docker, eventually, containersOfRun } from '../sandboxes/fixtures/pool.ts';

export function text(r: ToolResult): string {
  return typeof r === 'string' ? r : r.output;
}

/** The agent's hands: each call is one tool call, exactly as a model's would be. */
export function agent(sandbox: Sandbox) {
  const ctx = (): ToolContext<any, any, Sandbox> => ({
    sandbox, task: {}, state: {}, signal: AbortSignal.timeout(120_000), turn: 0, toolCallId: 'call-0', emit: () => {},
  });
  return {
    bash: async (command: string, timeout?: number) => text(await bash.execute({ command, ...(timeout ? { timeout } : {}) }, ctx())),
    python: async (code: string) => text(await python.execute({ code }, ctx())),
    create: async (path: string, fileText: string) => text(await create.execute({ path, file_text: fileText }, ctx())),
    strReplace: async (path: string, oldStr: string, newStr: string) => text(await strReplace.execute({ path, old_str: oldStr, new_str: newStr }, ctx())),
    view: async (path: string) => text(await view.execute({ path }, ctx())),
  };
}

/** A task like a coding env's: calc.add is wrong, the reward runs a check against it. */
export const CALC_TASK = {
  setup: ['printf "def add(a, b):\\n    return a - b\\n" > calc.py'],
  limits: { memoryMb: 256, cpus: 1, pids: 128 },
};
export const CALC_CHECK = 'python3 -c "from calc import add; assert add(2, 3) == 5; print(\'PASS\')"';

/** The episode's sandbox lease as the CLI gives it: a sandbox, its release, and verification rooms. */
export function leaseFrom(pool: SandboxPool, spec: SandboxSpec): SandboxLeases {
  return {
    lease: async (signal: AbortSignal) => {
      const sandbox = await pool.acquire(spec, { signal });
      return {
        sandbox,
        release: () => sandbox.destroy(),
        verificationRoom: async (roomSignal: AbortSignal) => {
          const room = await pool.verificationRoom(sandbox, { signal: roomSignal });
          return { sandbox: room, release: () => room.destroy() };
        },
      };
    },
  };
}

/** A hermes tool call, as the scripted policy says it. */
export const call = (name: string, args: Record<string, unknown>) =>
  `<think>\nok\n</think>\n\n<tool_call>\n{"name": "${name}", "arguments": ${JSON.stringify(args)}}\n</tool_call>`;
