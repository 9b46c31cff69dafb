/**
 * envs/coding: a coding agent in a Docker sandbox, SWE-bench style. A task is a SWE-bench
 * instance; the agent gets the repository at base_commit (the tests that reproduce the bug in its
 * working tree, or not, per `tests`), the project's bash/python/view/create/str_replace/find/grep
 * tools and `submit`, within a turn and token budget. The G episodes of a group start from forks
 * of one prepared sandbox (`setupSandbox` runs once per group). The reward is `resolved`: the
 * agent's diff, verified in a fresh room (verify.ts); `tests_passed` is partial credit, weight 0.
 *
 *   physarum rollout --env envs/coding --data envs/coding/data/tasks.jsonl ...
 *   new CodingEnv({ image: 'sweb.eval.x86_64.{instance_id}', python: '/opt/miniconda3/envs/testbed/bin/python' })
 */
import {
  anyOf, codingTools, EnvError, hasToolCall, tokenBudgetIs, ToolEnv,
  type EnvContext, type Message, type RewardContext, type Sandbox, type SandboxSpec, type StopCondition,
} from '../../src/index.ts';
import type { SubmitState } from '../../tools/index.ts';
import { baseTree, SweBenchInstance } from './dataset.ts';
import { resolveOptions, type CodingEnvOptions, type ResolvedCodingOptions } from './options.ts';
import { taskMessages } from './prompt.ts';
import { prepareRepo } from './repo.ts';
import { codingSandboxSpec } from './sandbox-spec.ts';
import { verify, type Verdict } from './verify.ts';

export type CodingState = SubmitState;
type Ctx = RewardContext<SweBenchInstance, CodingState, Sandbox>;

export class CodingEnv extends ToolEnv<SweBenchInstance, CodingState, Sandbox> {
  readonly taskSchema = SweBenchInstance;
  readonly options: ResolvedCodingOptions;
  override readonly maxTurns: number;
  override readonly stopWhen: StopCondition<CodingState>;
  readonly tools: ReturnType<typeof codingTools>;
  /** Called with every verdict (tests and debugging: why a sample scored what it did). */
  onVerdict: ((task: SweBenchInstance, verdict: Verdict) => void) | undefined;
  // One verification per episode, shared by the reward and the metrics (keyed by the episode's state).
  private readonly verdicts = new WeakMap<object, Promise<Verdict>>();
  private readonly trees = new Map<string, Promise<Record<string, string>>>();

  readonly rubric = this.defineRubric({
    rewards: { resolved: async (ctx) => (await this.verdictOf(ctx)).resolved },
    metrics: {
      tests_passed: async (ctx) => (await this.verdictOf(ctx)).passedFraction,
      diff_bytes: async (ctx) => (await this.verdictOf(ctx)).diffBytes,
      dropped_paths: async (ctx) => (await this.verdictOf(ctx)).dropped.length,
      submitted: ({ state }) => state.submission !== undefined,
    },
  });

  constructor(options: CodingEnvOptions & { onVerdict?: (task: SweBenchInstance, verdict: Verdict) => void } = {}) {
    super();
    this.options = resolveOptions(options);
    this.maxTurns = this.options.maxTurns;
    this.stopWhen = anyOf(hasToolCall('submit'), tokenBudgetIs(this.options.tokenBudget));
    this.tools = codingTools({ bash: { timeoutMs: this.options.commandTimeoutMs }, python: { timeoutMs: this.options.commandTimeoutMs } });
    this.onVerdict = options.onVerdict;
  }

  override createState(): CodingState {
    return {};
  }

  override label(task: SweBenchInstance): unknown {
    return { instance_id: task.instance_id, repo: task.repo };
  }

  override sandboxFor(task: SweBenchInstance): SandboxSpec {
    return codingSandboxSpec(task, this.options);
  }

  /** Once per group: the repository at base_commit, and the tests when they are visible. */
  override async setupSandbox(task: SweBenchInstance, sandbox: Sandbox, signal: AbortSignal): Promise<void> {
    await prepareRepo(sandbox, task, { tree: await this.treeOf(task), withTests: this.options.tests === 'visible', scrub: true, signal });
  }

  reset({ task }: EnvContext<SweBenchInstance, CodingState, Sandbox>): Message[] {
    return taskMessages(task, this.options.workdir, this.options.tests);
  }

  /** A project task's base tree (cached per instance); undefined for tasks whose image holds the repository. */
  treeOf(task: SweBenchInstance): Promise<Record<string, string> | undefined> {
    if (this.options.image) return Promise.resolve(undefined);
    let tree = this.trees.get(task.instance_id);
    if (!tree) {
      tree = Promise.resolve()
        .then(() => baseTree(task, this.options.reposDir))
        .catch((error: unknown) => {
          throw new EnvError(`task ${task.instance_id}: no base tree for ${task.repo} under ${this.options.reposDir}: ${(error as Error).message}`, { cause: error });
        });
      tree.catch(() => this.trees.delete(task.instance_id));
      this.trees.set(task.instance_id, tree);
    }
    return tree;
  }

  private verdictOf(ctx: Ctx): Promise<Verdict> {
    let verdict = this.verdicts.get(ctx.state);
    if (!verdict) {
      verdict = (async () => {
        const result = await verify({
          task: ctx.task, agent: ctx.sandbox, openRoom: ctx.verificationRoom, tree: await this.treeOf(ctx.task), options: this.options, signal: ctx.signal,
        });
        this.onVerdict?.(ctx.task, result);
        return result;
      })();
      this.verdicts.set(ctx.state, verdict);
    }
    return verdict;
  }
}

export { SweBenchInstance } from './dataset.ts';
export type { CodingEnvOptions } from './options.ts';
export type { Verdict } from './verify.ts';
export default new CodingEnv();
