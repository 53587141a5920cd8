#!/usr/bin/env node
// npm run bench:stream [-- --vehicles 300] [--days 1] [--speed 100] [--partitions 6]
// `cotrans stream` fed by a replay paced at --speed times event time, through a local Apache
// Kafka broker this script starts (free port, temp home) and stops; a tiny model is trained first.
// Run once with one instance and once with two in one group; /metrics of every instance is read
// each second. Prints the largest consumer lag, points/s from the first fix sent to the drain,
// the p99 scoring latency (histogram bucket bound), and the ratio two instances / one.
// Imports the built dist (npx tsc -b).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'cli', 'bin', 'cotrans.js');
for (const f of ['ingest/dist/index.js', 'fixtures/dist/index.js', 'cli/dist/main.js']) if (!existsSync(join(root, f))) throw new Error(`${f} missing: build first (npx tsc -b)`);
const ingest = await import(join(root, 'ingest', 'dist', 'index.js'));
const fixtures = await import(join(root, 'fixtures', 'dist', 'index.js'));

const { values: args } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '300' },
    days: { type: 'string', default: '1' },
    speed: { type: 'string', default: '100' },
    partitions: { type: 'string', default: '6' },
  },
});
const vehicles = Number(args.vehicles);
const days = Number(args.days);
const speed = Number(args.speed);
const partitions = Number(args.partitions);

const home = await mkdtemp(join(tmpdir(), 'cotrans-bench-stream-'));
const port = await ingest.freePort();
let ctrl = await ingest.freePort();
while (ctrl === port) ctrl = await ingest.freePort();
const info = await ingest.startBroker({ dir: home, port, controllerPort: ctrl, heapMb: 1024 });
const brokers = info.brokers;

const exec = (argv) =>
  new Promise((res, rej) => {
    const c = spawn(process.execPath, [bin, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('exit', (code) => (code === 0 ? res() : rej(new Error(`cotrans ${argv[0]} exit ${code}: ${err.slice(-400)}`))));
  });

/** Prometheus text to { name -> [{ labels, value }] } (the bench reads its own exporter). */
function parse(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (!out.has(m[1])) out.set(m[1], []);
    out.get(m[1]).push({ labels, value: Number(m[3]) });
  }
  return out;
}

function p99(buckets) {
  const total = buckets.find((b) => b.le === Infinity)?.count ?? 0;
  if (!total) return NaN;
  for (const b of buckets.sort((a, b) => a.le - b.le)) if (b.count >= total * 0.99) return b.le;
  return Infinity;
}

async function runCase(n, points, models) {
  const tag = `${n}-${Date.now()}`;
  const topic = `bench.${tag}.points`;
  await ingest.ensureTopics(brokers, [{ topic, partitions }, { topic: `${topic}.dlq`, partitions: 1 }]);
  const procs = [];
  for (let i = 0; i < n; i++) {
    let log = '';
    const c = spawn(process.execPath, [bin, 'stream', '--brokers', brokers, '--models', models, '--db', join(home, `s-${tag}-${i}.sqlite`), '--group', `bench-${tag}`, '--topic', topic, '--dlq-topic', `${topic}.dlq`, '--labels-topic', `${topic}.labels`, '--changelog-topic', `${topic}.changelog`, '--metrics-port', '0', '--session-timeout-ms', '10000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stderr.on('data', (d) => (log += d));
    c.stdout.on('data', (d) => (log += d));
    procs.push({ c, log: () => log, exited: new Promise((r) => c.on('exit', r)) });
  }
  const urls = [];
  for (const p of procs) {
    for (let t = 0; !/metrics on (http:\S+)\/metrics/.test(p.log()); t++) {
      if (t > 600) throw new Error(`no metrics port: ${p.log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    urls.push(/metrics on (http:\S+)\/metrics/.exec(p.log())[1]);
  }
  for (const u of urls) while ((await fetch(`${u}/healthz`).catch(() => ({ status: 0 }))).status !== 200) await new Promise((r) => setTimeout(r, 200));
  let maxLag = 0;
  let applied = 0;
  let buckets = [];
  const sample = async () => {
    let lag = 0;
    let pts = 0;
    const merged = new Map();
    for (const u of urls) {
      const m = parse(await (await fetch(`${u}/metrics`)).text());
      lag = Math.max(lag, (m.get('cotrans_stream_consumer_lag') ?? []).reduce((a, x) => a + x.value, 0));
      pts += m.get('cotrans_stream_points_total')?.[0]?.value ?? 0;
      for (const b of m.get('cotrans_stream_scoring_seconds_bucket') ?? []) {
        const le = b.labels.le === '+Inf' ? Infinity : Number(b.labels.le);
        merged.set(le, (merged.get(le) ?? 0) + b.value);
      }
    }
    maxLag = Math.max(maxLag, lag);
    applied = pts;
    buckets = [...merged].map(([le, count]) => ({ le, count }));
    return lag;
  };
  const t0 = performance.now();
  const replaying = ingest.replay([points], { brokers, topic, speed, maxPointsPerMessage: 50 });
  let sent = false;
  replaying.then(() => (sent = true));
  for (;;) {
    const lag = await sample();
    if (sent && lag === 0 && applied >= points.length) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const wall = (performance.now() - t0) / 1000;
  for (const p of procs) p.c.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exited));
  return { instances: n, maxLag, pointsPerS: points.length / wall, p99: p99(buckets), wall };
}

try {
  const src = join(home, 'src');
  const tgt = join(home, 'tgt');
  await fixtures.writeFleet({ preset: 'source', vehicles: 60, days: 3, seed: 3 }, src);
  await fixtures.writeFleet({ preset: 'target', vehicles: 60, days: 3, seed: 4, sharedShare: 0.3 }, tgt);
  const models = join(home, 'models');
  await exec(['train', '--source', join(src, 'points.csv.gz'), '--source-labels', join(src, 'labels.csv'), '--target', join(tgt, 'points.csv.gz'), '--models', models, '--members', '1', '--epochs', '2', '--rounds', '1', '--image-mode', 'day']);
  const points = [...fixtures.generateFleet({ preset: 'target', vehicles, days, seed: 7 }).points()].flat();
  console.log(`stream bench: ${vehicles} cars, ${days} day(s), ${points.length} fixes replayed at ${speed}x event time into ${partitions} partitions; ${cpus().length} cores; Kafka ${info.version}`);
  const rows = [];
  for (const n of [1, 2]) {
    const r = await runCase(n, points, models);
    rows.push(r);
    console.log(`  ${n} instance(s): max lag ${r.maxLag} messages, ${Math.round(r.pointsPerS)} points/s (send to drain, ${r.wall.toFixed(1)} s), scoring p99 <= ${r.p99} s`);
  }
  console.log(`  two instances / one: ${(rows[1].pointsPerS / rows[0].pointsPerS).toFixed(2)}x points/s, max lag ${(rows[1].maxLag / Math.max(1, rows[0].maxLag)).toFixed(2)}x`);
} finally {
  await ingest.stopBroker(home);
  await rm(home, { recursive: true, force: true });
}
