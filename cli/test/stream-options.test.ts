// `cotrans stream` options: --help shows every option with examples; bad input is exit 1 with one
// line naming the option or the file, before anything connects to Kafka.
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from './helpers/run.js';
import { command } from '../src/commands/stream.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cotrans-stream-options-'));

describe('cotrans stream options', () => {
  it('--help lists every option and an example that uses it', async () => {
    const r = await run(['stream', '--help']);
    expect(r.code).toBe(0);
    const examples = r.out.slice(r.out.indexOf('Examples:'));
    for (const name of Object.keys(command.options)) {
      expect(r.out).toContain(`--${name}`);
      expect(examples, `an example with --${name}`).toContain(`--${name}`);
    }
  });

  const cases: [string[], RegExp][] = [
    [['--db', 'x.sqlite'], /missing required option --models/],
    [['--models', path.join(dir, 'nowhere'), '--db', 'x.sqlite'], /nowhere: no such model directory/],
    [['--models', dir, '--db', 'x.sqlite', '--debounce-min=-1'], /invalid --debounce-min '-1': must be >= 0/],
    [['--models', dir, '--db', 'x.sqlite', '--tz', 'Mars/Olympus'], /invalid --tz 'Mars\/Olympus'/],
    [['--models', dir, '--db', 'x.sqlite', '--sasl-mechanism', 'kerberos', '--sasl-username', 'u'], /invalid --sasl-mechanism 'kerberos'/],
    [['--models', dir, '--db', 'x.sqlite', '--sasl-mechanism', 'plain'], /--sasl-mechanism needs --sasl-username/],
    [['--models', dir, '--db', 'x.sqlite', '--ssl-cert', path.join(dir, 'c.pem')], /--ssl-cert .*c\.pem: cannot read \(ENOENT\)/],
    [['--models', dir, '--db', 'x.sqlite', '--replication-factor', '0'], /invalid --replication-factor '0': must be >= 1/],
  ];
  it.each(cases)('%j is exit 1 with one line naming it', async (argv, want) => {
    const r = await run(['stream', ...argv]);
    expect(r.code, r.err).toBe(1);
    const lines = r.err.trim().split('\n').filter((l) => !l.startsWith('{'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(want);
  });
});
