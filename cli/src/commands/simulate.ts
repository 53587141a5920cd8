import type { Command } from '../kit.js';
import { UserError } from '../kit.js';

// Placeholder until its stage lands; replaced by the owning issue's work.
export const command: Command = {
  name: 'simulate',
  summary: 'not yet implemented',
  usage: 'cotrans simulate',
  options: {},
  examples: [],
  async run() {
    throw new UserError('simulate is not implemented yet');
  },
};
