import { captureRun, type RunResult } from '@cotrans/testkit';
import { main } from '../../src/main.js';

/** Runs the CLI in-process (sources, no build needed) and captures what it prints. */
export function run(argv: string[]): Promise<RunResult> {
  return captureRun(main, argv);
}
