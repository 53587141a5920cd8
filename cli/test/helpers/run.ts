import { captureRun, type RunResult } from '@cotrans/testkit';
import { main } from '../../src/main.js';

/** Runs the CLI in-process (sources, no build needed) and captures what it prints. */
export function run(argv: string[]): Promise<RunResult> {
  return captureRun(main, argv);
}

/** The one line a command printed for a user error (exit 1), its "cotrans <command>: " prefix checked. */
export function errorLine(r: { code: number; err: string }, cmd: string): string {
  if (r.code !== 1) throw new Error(`expected exit 1, got ${r.code}: ${r.err}`);
  const lines = r.err.trim().split('\n').filter((l) => !l.startsWith('{'));
  if (lines.length !== 1 || !lines[0].startsWith(`cotrans ${cmd}: `)) throw new Error(`expected one line starting "cotrans ${cmd}: ", got: ${r.err}`);
  return lines[0];
}
