import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkEnv } from '../../src/rollout/check-env.ts';
import { SingleTurnEnv } from '../../src/env/env.ts';
import { rubric } from '../../src/env/rubric.ts';
import { CountdownEnv } from '../../envs/countdown/index.ts';

class Plain extends SingleTurnEnv<{ q: string }> {
  readonly taskSchema = z.object({ q: z.string() });
  readonly rubric = rubric({ rewards: { one: () => 1 } });
  prompt(task: { q: string }) {
    return [{ role: 'user' as const, content: task.q }];
  }
}

describe('checkEnv', () => {
  it('passes the countdown env and a plain single-turn env', async () => {
    await expect(checkEnv(new CountdownEnv(), { numbers: [1, 2, 3], target: 6 })).resolves.toBeUndefined();
    await expect(checkEnv(new Plain(), { q: 'hi' })).resolves.toBeUndefined();
  });

  it('names what breaks', async () => {
    await expect(checkEnv(new Plain(), { q: 3 })).rejects.toThrow("field 'q'");
    class NoRewards extends Plain {
      override readonly rubric = rubric({ rewards: {} });
    }
    await expect(checkEnv(new NoRewards(), { q: 'x' })).rejects.toThrow('checkEnv: the rubric has no reward functions');
    class MapState extends Plain {
      override createState() {
        return { seen: new Map([[1, 2]]) } as never;
      }
    }
    await expect(checkEnv(new MapState(), { q: 'x' })).rejects.toThrow('createState must return JSON-serializable state');
    class Empty extends Plain {
      override prompt() {
        return [];
      }
    }
    await expect(checkEnv(new Empty(), { q: 'x' })).rejects.toThrow("reset returned no opening messages for role 'policy'");
    class BadMessage extends Plain {
      override prompt() {
        return [{ role: 'narrator', content: 'x' }] as never;
      }
    }
    await expect(checkEnv(new BadMessage(), { q: 'x' })).rejects.toThrow("reset: message 0 of role 'policy' is not a chat message (role:");
  });
});
