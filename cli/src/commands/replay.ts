import type { Command } from '../kit.js';
import { UserError } from '../kit.js';

// Placeholder until its stage lands; replaced by the owning issue's work.
export const command: Command = {
  name: 'replay',
  summary: 'not yet implemented',
  usage: 'cotrans replay',
  options: {},
  examples: [],
  async run() {
    throw new UserError('replay is not implemented yet');
  },
};
