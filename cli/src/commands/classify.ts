import type { Command } from '../kit.js';
import { UserError } from '../kit.js';

// Placeholder until its stage lands; replaced by the owning issue's work.
export const command: Command = {
  name: 'classify',
  summary: 'not yet implemented',
  usage: 'cotrans classify',
  options: {},
  examples: [],
  async run() {
    throw new UserError('classify is not implemented yet');
  },
};
