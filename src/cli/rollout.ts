// Placeholder until this command lands; replaced by its implementation.
import type { Command } from './main.ts';

export const command: Command = {
  summary: 'rollout (not built yet)',
  async run() {
    console.error('physarum rollout: not built yet');
    return 1;
  },
};
