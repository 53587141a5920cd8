// Bad input through the real commands, in-process: each case is exit 1 with one line under 300
// characters that names the place; a bug is exit 2 without a stack. A small model is trained once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { writeFleet } from '@cotrans/fixtures';
import { csvRow } from '@cotrans/core';
import { readPredictions } from '@cotrans/dashboard';
import { resolveModelDir } from '@cotrans/cotrans';
import { reportError } from '../src/main.js';
import { run } from './helpers/run.js';

let dir: string;
const p = (...s: string[]) => path.join(dir, ...s);
const models = () => p('models');
/** The current version's own directory: a model directory as it was before versions. */
const modelFiles = () => resolveModelDir(models()).path;

/** The one line a command printed for a user error, without the "cotrans <command>: " prefix. */
const userLine = (r: { code: number; err: string }, cmd: string): string => {
  expect(r.code, r.err).toBe(1);
  const lines = r.err.trim().split('\n').filter((l) => !l.startsWith('{'));
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0].length).toBeLessThan(300);
  expect(lines[0].startsWith(`cotrans ${cmd}: `), lines[0]).toBe(true);
  return lines[0].slice(`cotrans ${cmd}: `.length);
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cotrans-bad-input-'));
  chmodSync(dir, 0o755);
  await writeFleet({ preset: 'source', vehicles: 40, days: 3, seed: 3 }, p('src'));
  await writeFleet({ preset: 'target', vehicles: 50, days: 3, seed: 4, sharedShare: 0.3 }, p('tgt'));
  const r = await run(['train', '--source', p('src', 'points.csv.gz'), '--source-labels', p('src', 'labels.csv'), '--target', p('tgt', 'points.csv.gz'), '--models', models(), '--members', '1', '--epochs', '2', '--rounds', '1', '--image-mode', 'day']);
  expect(r.code, r.err).toBe(0);
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('what the user sees of an error', () => {
  it('a bug is exit 2, "internal error" and a hint to report it; the stack only under --debug', () => {
    let err = '';
    const w = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
    try {
      expect(reportError('features', new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe(2);
      expect(err).toMatch(/^cotrans features: internal error: TypeError: Cannot read properties/);
      expect(err).toMatch(/please report it/);
      expect(err).not.toMatch(/\n\s+at /);
      err = '';
      expect(reportError('features', new TypeError('boom'), true)).toBe(2);
      expect(err).toMatch(/\n\s+at /);
    } finally {
      process.stderr.write = w;
    }
  });
});

describe('bad files', () => {
  it('a malformed city.json: train, classify and features say the same thing', async () => {
    mkdirSync(p('badcity'));
    cpSync(p('tgt', 'points.csv.gz'), p('badcity', 'points.csv.gz'));
    writeFileSync(p('badcity', 'city.json'), '{"tz": "Europe/Berlin",\n');
    const pts = p('badcity', 'points.csv.gz');
    const f = userLine(await run(['features', pts, '--out', p('f.csv')]), 'features');
    const c = userLine(await run(['classify', '--models', models(), '--input', pts, '--out', p('pred-x.csv')]), 'classify');
    const t = userLine(await run(['train', '--source', pts, '--source-labels', p('src', 'labels.csv'), '--target', pts, '--models', p('m-x')]), 'train');
    expect(f).toMatch(new RegExp(`^${p('badcity', 'city.json').replace(/[.]/g, '\\.')}(:\\d+)?: malformed JSON`));
    expect(c).toBe(f);
    expect(t).toBe(f);
    writeFileSync(p('badcity', 'city.json'), '{"tz": "Mars/Olympus"}');
    expect(userLine(await run(['classify', '--models', models(), '--input', pts, '--out', p('pred-x.csv')]), 'classify')).toMatch(/city\.json field tz: 'Mars\/Olympus' is not an IANA time zone/);
  });

  it('a damaged model directory is exit 1 naming the file and field', async () => {
    const classify = async (m: string) => userLine(await run(['classify', '--models', m, '--input', p('tgt', 'points.csv.gz'), '--out', p('pred-x.csv')]), 'classify');
    const copy = (name: string) => {
      cpSync(modelFiles(), p(name), { recursive: true });
      return p(name);
    };
    const trunc = copy('m-trunc');
    const bin = path.join(trunc, 'image', 'cnn-day.weights.bin');
    truncateSync(bin, Math.floor(statSync(bin).size / 2));
    expect(await classify(trunc)).toMatch(/cnn-day\.weights\.bin: \d+ bytes, the CNN needs \d+ \(truncated\)/);

    const nul = copy('m-null');
    writeFileSync(path.join(nul, 'manifest.json'), 'null');
    expect(await classify(nul)).toMatch(/manifest\.json: the model manifest must be a JSON object, got null/);

    const manifest = JSON.parse(readFileSync(path.join(modelFiles(), 'manifest.json'), 'utf8'));
    const str = copy('m-str');
    writeFileSync(path.join(str, 'manifest.json'), JSON.stringify({ ...manifest, version: '3' }));
    expect(await classify(str)).toMatch(/manifest\.json field version: must be a number, got the string '3'/);

    // a bag whose member lacks its columns, and one whose members are not train seeds
    const bag = p('m-bag');
    mkdirSync(path.join(bag, 'members'), { recursive: true });
    cpSync(modelFiles(), path.join(bag, 'members', '0'), { recursive: true });
    writeFileSync(path.join(bag, 'members', '0', 'manifest.json'), JSON.stringify({ ...manifest, columns: undefined }));
    writeFileSync(path.join(bag, 'manifest.json'), JSON.stringify({ ...manifest, version: 3, members: [0] }));
    expect(await classify(bag)).toMatch(/members\/0\/manifest\.json field columns: must hold the lists full and transferable/);
    writeFileSync(path.join(bag, 'manifest.json'), JSON.stringify({ ...manifest, version: 3, members: ['../../../../etc'] }));
    expect(await classify(bag)).toMatch(/m-bag\/manifest\.json field members: must list the train seed/);
  });

  it('classify and features on a log with no usable line: exit 1 with the counts and a sample', async () => {
    const bad = p('allbad.csv');
    writeFileSync(bad, 'vehicle_id,timestamp,lat,lon\ncar-1,1700000000,0x34,0x0d\ncar-2,never,52.1,13.1\n');
    const r = await run(['classify', '--models', models(), '--input', bad, '--out', p('pred-x.csv')]);
    const line = userLine(r, 'classify');
    expect(line).toMatch(/allbad\.csv: no usable vehicle: read 3 line\(s\), kept 0 point\(s\), skipped 2 bad line\(s\)/);
    expect(line).toMatch(/first: .*allbad\.csv:2: lat is not a finite number/);
    expect(r.out).toMatch(/^read 3 line\(s\) of 1 file\(s\): kept 0 point\(s\), skipped 2 bad line\(s\)/);
    expect(r.out).toContain(`  skipped ${bad}:3: unreadable timestamp 'never'`);
    expect(userLine(await run(['features', bad, '--tz', 'UTC', '--out', p('f.csv')]), 'features')).toMatch(/no usable vehicle: read 3 line/);
    // --strict names the line
    expect(userLine(await run(['features', bad, '--tz', 'UTC', '--strict', '--out', p('f.csv')]), 'features')).toMatch(/allbad\.csv:2: lat is not a finite number/);
  });

  it('a vehicle id with a comma round-trips through predictions.csv, evaluate and the dashboard reader', async () => {
    const text = gunzipSync(readFileSync(p('tgt', 'points.csv.gz'))).toString('utf8').trim().split('\n');
    const head = text[0].split(',');
    const iId = head.indexOf('vehicle_id');
    const rows = text.slice(1).map((l) => {
      const c = l.split(',');
      c[iId] = `fleet, ${c[iId]} "x"`;
      return csvRow(c);
    });
    writeFileSync(p('comma.csv'), [text[0], ...rows].join('\n') + '\n');
    const truth = readFileSync(p('tgt', 'labels.csv'), 'utf8').trim().split('\n');
    writeFileSync(p('comma-labels.csv'), [truth[0], ...truth.slice(1).map((l) => { const c = l.split(','); c[0] = `fleet, ${c[0]} "x"`; return csvRow(c); })].join('\n') + '\n');
    const r = await run(['classify', '--models', models(), '--input', p('comma.csv'), '--tz', 'Europe/Berlin', '--out', p('comma-pred.csv')]);
    expect(r.code, r.err).toBe(0);
    const preds = await readPredictions(p('comma-pred.csv'));
    expect(preds.length).toBeGreaterThan(0);
    for (const x of preds) expect(x.vehicleId).toMatch(/^fleet, .+ "x"$/);
    const e = await run(['evaluate', '--pred', p('comma-pred.csv'), '--truth', p('comma-labels.csv')]);
    expect(e.code, e.err).toBe(0);
  });

  it('a shuffled log gives the same features and predictions as the sorted one', async () => {
    const lines = gunzipSync(readFileSync(p('tgt', 'points.csv.gz'))).toString('utf8').trim().split('\n');
    const body = lines.slice(1);
    let seed = 7;
    for (let i = body.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const j = seed % (i + 1);
      [body[i], body[j]] = [body[j], body[i]];
    }
    writeFileSync(p('shuffled.csv'), [lines[0], ...body].join('\n') + '\n');
    const a = await run(['features', p('tgt', 'points.csv.gz'), '--out', p('f-sorted.csv')]);
    const b = await run(['features', p('shuffled.csv'), '--tz', 'Europe/Berlin', '--out', p('f-shuffled.csv')]);
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    expect(b.out).not.toMatch(/note: \d+ fix\(es\) arrived/);
    expect(readFileSync(p('f-shuffled.csv'), 'utf8')).toBe(readFileSync(p('f-sorted.csv'), 'utf8'));
    for (const [input, out] of [[p('tgt', 'points.csv.gz'), 'pred-sorted.csv'], [p('shuffled.csv'), 'pred-shuffled.csv']]) {
      const r = await run(['classify', '--models', models(), '--input', input, '--tz', 'Europe/Berlin', '--out', p(out)]);
      expect(r.code, r.err).toBe(0);
    }
    // the same rows but for the time of scoring (the last column)
    const rowsOf = (f: string) => readFileSync(p(f), 'utf8').split('\n').map((l) => l.replace(/,[^,]*$/, ''));
    expect(rowsOf('pred-shuffled.csv')).toEqual(rowsOf('pred-sorted.csv'));
  });

  it('classify --windows neither reads nor writes a file that is not a window store', async () => {
    writeFileSync(p('garbage.sqlite'), 'this is not a database\n'.repeat(100));
    expect(userLine(await run(['classify', '--models', models(), '--windows', p('garbage.sqlite'), '--out', p('pred-x.csv')]), 'classify')).toMatch(/garbage\.sqlite: not a window store \(not an SQLite file\)/);
    writeFileSync(p('empty.sqlite'), '');
    expect(userLine(await run(['classify', '--models', models(), '--windows', p('empty.sqlite'), '--out', p('pred-x.csv')]), 'classify')).toMatch(/empty\.sqlite: not a window store \(empty/);
    expect(statSync(p('empty.sqlite')).size).toBe(0);
  });

  it('dashboard: a reviews file that is garbage or a directory, a host that is not here', async () => {
    const pred = p('dash-pred.csv');
    writeFileSync(pred, 'vehicle_id,label,p_shared,p_rf,p_cnn,flags\ncar-1,shared,0.9,0.8,0.7,\n');
    writeFileSync(p('reviews.bin'), Buffer.from([0, 1, 2, 3, 0xff, 0xfe]).toString('latin1').repeat(1000));
    expect(userLine(await run(['dashboard', '--pred', pred, '--reviews', p('reviews.bin'), '--port', '0']), 'dashboard')).toMatch(/reviews\.bin: cannot open as a reviews database \(not an SQLite file\)/);
    expect(userLine(await run(['dashboard', '--pred', pred, '--reviews', dir, '--port', '0']), 'dashboard')).toMatch(/cannot open as a reviews database/);
    expect(userLine(await run(['dashboard', '--pred', pred, '--reviews', p('r.sqlite'), '--host', '999.1.1.1', '--port', '0']), 'dashboard')).toMatch(/^--host 999\.1\.1\.1: cannot listen on it/);
  });

  it('replay reports the file\'s own error before it connects (no broker listens here)', async () => {
    // a connection tried first would end in a Kafka error, not in the file's own message
    const brokers = ['--brokers', '127.0.0.1:1'];
    const bad = p('replay-bad.csv');
    writeFileSync(bad, 'vehicle_id,timestamp,lat,lon\ncar-1,1700000000,0x34,0x0d\ncar-2,never,52.1,13.1\n');
    expect(userLine(await run(['replay', bad, ...brokers]), 'replay')).toMatch(/replay-bad\.csv: no valid point to replay: read 3 line\(s\), kept 0 point\(s\), skipped 2/);
    expect(userLine(await run(['replay', bad, ...brokers, '--strict']), 'replay')).toBe(`${bad}:2: lat is not a finite number (NaN)`);
    writeFileSync(p('replay-empty.csv'), '');
    expect(userLine(await run(['replay', p('replay-empty.csv'), ...brokers]), 'replay')).toBe(`${p('replay-empty.csv')}: empty file (no data lines)`);
  });

  it('an unreadable input is exit 1 for features, classify and train (as a user without the right)', () => {
    const bin = fileURLToPath(new URL('../bin/cotrans.js', import.meta.url));
    const locked = p('locked.csv');
    writeFileSync(locked, 'vehicle_id,timestamp,lat,lon\n');
    chmodSync(locked, 0o000);
    // root reads any file: run the built CLI as nobody then (the model and logs are world-readable)
    const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    for (const argv of [
      ['features', locked, '--tz', 'UTC', '--out', p('x', 'f.csv')],
      ['classify', '--models', models(), '--input', locked, '--tz', 'UTC', '--out', p('x', 'pred.csv')],
      ['train', '--source', locked, '--source-labels', p('src', 'labels.csv'), '--target', p('tgt', 'points.csv.gz'), '--tz', 'UTC', '--models', p('x', 'm')],
    ]) {
      const r = spawnSync(process.execPath, [bin, ...argv], { encoding: 'utf8', ...as });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr.trim()).toBe(`cotrans ${argv[0]}: ${locked}: cannot read (EACCES)`);
    }
  });
});
