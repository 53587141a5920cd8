import type { Command } from '../kit.js';
import { UserError } from '../kit.js';

// Placeholder until its stage lands; replaced by the owning issue's work.
export const command: Command = {
  name: 'train',
  summary: 'not yet implemented',
  usage: 'cotrans train',
  options: {},
  examples: [],
  async run() {
    throw new UserError('train is not implemented yet');
  },
};
