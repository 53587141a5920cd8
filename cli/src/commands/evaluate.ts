import type { Command } from '../kit.js';
import { UserError } from '../kit.js';

// Placeholder until its stage lands; replaced by the owning issue's work.
export const command: Command = {
  name: 'evaluate',
  summary: 'not yet implemented',
  usage: 'cotrans evaluate',
  options: {},
  examples: [],
  async run() {
    throw new UserError('evaluate is not implemented yet');
  },
};
