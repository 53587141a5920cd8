import type { Command } from '../kit.js';
import { UserError } from '../kit.js';

// Placeholder until its stage lands; replaced by the owning issue's work.
export const command: Command = {
  name: 'kafka',
  summary: 'not yet implemented',
  usage: 'cotrans kafka',
  options: {},
  examples: [],
  async run() {
    throw new UserError('kafka is not implemented yet');
  },
};
