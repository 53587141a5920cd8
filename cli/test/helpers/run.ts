import { main } from '../../src/main.js';

/** Runs the CLI in-process (sources, no build needed) and captures what it prints. */
export async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv), out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

/** The one line a command printed for a user error (exit 1), its "cotrans <command>: " prefix checked. */
export function errorLine(r: { code: number; err: string }, cmd: string): string {
  if (r.code !== 1) throw new Error(`expected exit 1, got ${r.code}: ${r.err}`);
  const lines = r.err.trim().split('\n').filter((l) => !l.startsWith('{'));
  if (lines.length !== 1 || !lines[0].startsWith(`cotrans ${cmd}: `)) throw new Error(`expected one line starting "cotrans ${cmd}: ", got: ${r.err}`);
  return lines[0];
}
