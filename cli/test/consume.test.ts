// `cotrans consume --windows`: user errors exit 1 with one line, before any broker is contacted.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { SqliteWindowStore } from '@cotrans/features';
import { tempDir } from '@cotrans/testkit';
import { run as cli } from './helpers/run.js';

describe('cotrans consume --windows: user errors exit 1 with one line, before any broker is contacted', () => {
  let dir: string;
  let remove: () => void;
  beforeAll(() => {
    ({ dir, remove } = tempDir('cotrans-consume-cli-'));
  });
  afterAll(() => remove());
  const noBroker = ['--brokers', '127.0.0.1:1'];

  test('--help names the option and shows an example', async () => {
    const r = await cli(['consume', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('--windows FILE');
    expect(r.out).toContain('cotrans consume --windows windows.sqlite --tz Europe/Berlin');
  });

  test.each([
    [['consume'], 'cotrans consume: missing required option --out\n'],
    [['consume', '--out', 'a.sqlite', '--windows', 'b.sqlite'], 'cotrans consume: give --out or --windows, not both: each state file has its own offsets (run a second consumer with another --group)\n'],
    [['consume', '--out', 'a.sqlite', '--tz', 'Europe/Berlin'], 'cotrans consume: --tz, --window-days and --image-size go with --windows\n'],
    [['consume', '--windows', 'w.sqlite', '--tz', 'Mars/Olympus'], "cotrans consume: invalid --tz 'Mars/Olympus': not an IANA time zone (e.g. Europe/Berlin, America/Los_Angeles)\n"],
    [['consume', '--windows', 'w.sqlite', '--tz', 'Europe/Berlin', '--window-days', '0'], "cotrans consume: invalid --window-days '0': must be >= 1\n"],
  ])('%j', async (argv, msg) => {
    const r = await cli([...argv.map((a) => (a.endsWith('.sqlite') ? join(dir, a) : a)), ...noBroker]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(msg);
  });

  test('a new file without --tz, and a file built under other options, are refused naming the file', async () => {
    const file = join(dir, 'built.sqlite');
    const r1 = await cli(['consume', '--windows', file, ...noBroker]);
    expect(r1.code).toBe(1);
    expect(r1.err).toBe(`cotrans consume: ${file}: a new window store needs feature options (tz at least)\n`);
    new SqliteWindowStore(file, { tz: 'Europe/Berlin' }).close();
    const r2 = await cli(['consume', '--windows', file, '--window-days', '3', ...noBroker]);
    expect(r2.code).toBe(1);
    expect(r2.err).toBe(`cotrans consume: ${file}: the windows were built with other feature options: windowDays 7 (stored) vs 3; use a new state file\n`);
  });
});
