// Placeholder until this command lands; replaced by its implementation.
import type { Command } from './main.ts';

export const command: Command = {
  summary: 'demo (not built yet)',
  async run() {
    console.error('physarum demo: not built yet');
    return 1;
  },
};
