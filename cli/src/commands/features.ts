import type { Command } from '../kit.js';
import { UserError } from '../kit.js';

// Placeholder until its stage lands; replaced by the owning issue's work.
export const command: Command = {
  name: 'features',
  summary: 'not yet implemented',
  usage: 'cotrans features',
  options: {},
  examples: [],
  async run() {
    throw new UserError('features is not implemented yet');
  },
};
