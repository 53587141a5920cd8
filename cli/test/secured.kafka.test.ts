// The Kafka commands against a secured listener of a real broker: TLS (a CA made here with
// openssl) and SASL/PLAIN, as a managed cluster asks of its clients. replay, consume and stream
// connect with --ssl-ca and --sasl-mechanism, the password from the environment; a wrong password
// or a missing CA is exit 1 with one line.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFleet } from '@cotrans/fixtures';
import { freePort, openStore, startBroker, stopBroker } from '@cotrans/ingest';
import { latestLabels } from '@cotrans/cotrans';
import { PASSWORD_ENV } from '../src/kafka-options.js';
import { errorLine, run } from './helpers/run.js';

let dir: string;
const p = (...s: string[]) => path.join(dir, ...s);
let secured: string;
const PASSWORD = 'fleet-secret-42';

/** A CA, and a broker certificate for 127.0.0.1 signed by it; the broker's PEM keystore is key + chain. */
function makeCertificates(): void {
  const ssl = (...a: string[]) => execFileSync('openssl', a, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=cotrans test CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(p('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.crt', '-days', '2', '-extfile', 'san.ext');
  writeFileSync(p('broker.pem'), ['broker.key', 'broker.crt', 'ca.pem'].map((f) => readFileSync(p(f), 'utf8')).join(''));
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cotrans-secured-'));
  makeCertificates();
  const port = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  let securedPort = await freePort();
  while (securedPort === port || securedPort === controllerPort) securedPort = await freePort();
  await startBroker({ dir: p('kafka'), port, controllerPort, secured: { port: securedPort, keystorePem: p('broker.pem'), plainUsers: { cotrans: PASSWORD } } });
  secured = `127.0.0.1:${securedPort}`;
  await writeFleet({ preset: 'source', vehicles: 40, days: 3, seed: 3 }, p('src'));
  await writeFleet({ preset: 'target', vehicles: 24, days: 3, seed: 4, sharedShare: 0.3 }, p('tgt'));
}, 180_000);
afterAll(async () => {
  await stopBroker(p('kafka'));
  rmSync(dir, { recursive: true, force: true });
  delete process.env[PASSWORD_ENV];
});

const tls = () => ['--brokers', secured, '--ssl-ca', p('ca.pem'), '--sasl-mechanism', 'plain', '--sasl-username', 'cotrans'];
const withPassword = async <T>(pw: string, f: () => Promise<T>): Promise<T> => {
  process.env[PASSWORD_ENV] = pw;
  try {
    return await f();
  } finally {
    delete process.env[PASSWORD_ENV];
  }
};

test('replay, consume and stream over TLS + SASL/PLAIN: every point arrives and every vehicle is labelled', async () => {
  const log = p('tgt', 'points.csv.gz');
  const sent = await withPassword(PASSWORD, () => run(['replay', log, ...tls(), '--create-topics']));
  expect(sent.code, sent.err).toBe(0);
  const points = Number(/replayed (\d+) points/.exec(sent.out)![1]);
  expect(points).toBeGreaterThan(1000);

  const consumed = await withPassword(PASSWORD, () => run(['consume', '--out', p('state.sqlite'), ...tls(), '--group', 'secured-consume', '--until-idle', '3']));
  expect(consumed.code, consumed.err).toBe(0);
  const state = openStore(p('state.sqlite'), { readonly: true });
  const count = (name: string) => (state.prepare('SELECT value FROM counters WHERE name = ?').get(name) as { value: number } | undefined)?.value ?? 0;
  const stored = (state.prepare('SELECT COUNT(*) AS n FROM points').get() as { n: number }).n;
  const [applied, duplicates] = [count('points'), count('duplicate_points')];
  state.close();
  // every fix sent is stored once; the simulated devices send a few twice, counted as duplicates
  expect(applied).toBe(stored);
  expect(stored + duplicates).toBe(points);

  const trained = await run(['train', '--source', p('src', 'points.csv.gz'), '--source-labels', p('src', 'labels.csv'), '--target', log, '--models', p('models'), '--members', '1', '--epochs', '2', '--rounds', '1', '--image-mode', 'day']);
  expect(trained.code, trained.err).toBe(0);
  const streamed = await withPassword(PASSWORD, () => run(['stream', '--models', p('models'), '--db', p('stream.sqlite'), ...tls(), '--group', 'secured-stream', '--until-idle', '4', '--session-timeout-ms', '6000']));
  expect(streamed.code, streamed.err).toBe(0);
  const db = openStore(p('stream.sqlite'), { readonly: true });
  const labels = latestLabels(db);
  db.close();
  const vehicles = new Set(readFileSync(p('tgt', 'labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]));
  expect(new Set(labels.map((l) => l.vehicleId))).toEqual(vehicles);
}, 300_000);

test('a wrong password, a missing CA or no SASL is exit 1 with one line naming the broker', async () => {
  const log = p('tgt', 'points.csv.gz');
  const wrong = await withPassword('not-the-password', () => run(['replay', log, ...tls()]));
  expect(errorLine(wrong, 'replay')).toMatch(new RegExp(`Kafka at ${secured}.*(SASL|[Aa]uthentication)`));
  const noCa = await withPassword(PASSWORD, () => run(['consume', '--out', p('x.sqlite'), '--brokers', secured, '--ssl', '--sasl-mechanism', 'plain', '--sasl-username', 'cotrans', '--until-idle', '2']));
  expect(errorLine(noCa, 'consume')).toContain(secured);
  const noPassword = await run(['stream', '--models', p('models'), '--db', p('y.sqlite'), ...tls()]);
  expect(errorLine(noPassword, 'stream')).toContain(PASSWORD_ENV);
}, 300_000);
