// An in-process CLI run: stdout and stderr captured, the exit code returned.

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `main(argv)` with stdout and stderr captured (restored afterwards, also on a throw). */
export async function captureRun(main: (argv: string[]) => Promise<number>, argv: string[]): Promise<RunResult> {
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
