import type { Command } from '../kit.js';
import { UserError } from '../kit.js';

// Placeholder until its stage lands; replaced by the owning issue's work.
export const command: Command = {
  name: 'demo',
  summary: 'not yet implemented',
  usage: 'cotrans demo',
  options: {},
  examples: [],
  async run() {
    throw new UserError('demo is not implemented yet');
  },
};
