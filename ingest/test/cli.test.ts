// The ingest commands of the built CLI (npm test builds first): --help everywhere, exit 1 with one
// line naming what and where for user errors.
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cliBin } from './helpers/kafka.js';

const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cliBin(), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('cotrans kafka / replay / consume', () => {
  test.each(['kafka', 'replay', 'consume'])('%s --help shows usage, options and examples', (name) => {
    const r = cli(name, '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Usage: cotrans ${name}`);
    expect(r.out).toContain('Examples:');
  });
  test('user errors exit 1 with one line naming what and where', () => {
    const missing = cli('replay', '/no/such/log.csv');
    expect(missing.code).toBe(1);
    expect(missing.err).toBe('cotrans replay: /no/such/log.csv: no such file or directory (ENOENT)\n');
    const fmt = cli('replay', '/tmp', '--format', 'gpx');
    expect(fmt.code).toBe(1);
    expect(fmt.err).toMatch(/^cotrans replay: invalid --format 'gpx' \(expected auto, csv, jsonl, geolife, cabspotting, tdrive\)\n$/);
    const speed = cli('replay', '/tmp', '--speed', 'fast');
    expect(speed.code).toBe(1);
    expect(speed.err).toBe("cotrans replay: invalid --speed 'fast': not a number\n");
    const out = cli('consume');
    expect(out.code).toBe(1);
    expect(out.err).toBe('cotrans consume: missing required option --out\n');
    const action = cli('kafka', 'restart');
    expect(action.code).toBe(1);
    expect(action.err).toBe("cotrans kafka: unknown action 'restart' (expected start, stop, status, fetch)\n");
    const port = cli('kafka', 'start', '--port', '0');
    expect(port.code).toBe(1);
    expect(port.err).toBe("cotrans kafka: invalid --port '0': must be >= 1\n");
  });
  test('kafka status of a home with no broker: not running, exit 1', () => {
    const r = cli('kafka', 'status', '--dir', '/tmp/cotrans-no-broker-here');
    expect(r.code).toBe(1);
    expect(r.out).toBe('not running (home /tmp/cotrans-no-broker-here)\n');
  });
});
