import type { Command } from '../kit.js';
import { UserError } from '../kit.js';

// Placeholder until its stage lands; replaced by the owning issue's work.
export const command: Command = {
  name: 'dashboard',
  summary: 'not yet implemented',
  usage: 'cotrans dashboard',
  options: {},
  examples: [],
  async run() {
    throw new UserError('dashboard is not implemented yet');
  },
};
