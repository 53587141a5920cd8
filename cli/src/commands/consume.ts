import type { Command } from '../kit.js';
import { UserError } from '../kit.js';

// Placeholder until its stage lands; replaced by the owning issue's work.
export const command: Command = {
  name: 'consume',
  summary: 'not yet implemented',
  usage: 'cotrans consume',
  options: {},
  examples: [],
  async run() {
    throw new UserError('consume is not implemented yet');
  },
};
