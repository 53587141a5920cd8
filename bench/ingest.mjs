#!/usr/bin/env node
// npm run bench:ingest [-- --points 1000000] [--batch 500] [--partitions 2] [--no-java]
// Ingest throughput through a local Apache Kafka broker that this script starts (free port, temp
// home) and stops: replay (produce) and consume+validate with kafkajs, for single-point and batched
// messages; a bare kafkajs consumer (no decoding) to see where the time goes; and, in the same run,
// Kafka's own Java perf tools (ProducerPerformance / ConsumerPerformance from the same jars) on the
// same topics. Prints points/s and the ratios. Imports the built dist (npm ci / npx tsc -b).
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir, cpus, totalmem, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'ingest', 'dist', 'index.js');
if (!existsSync(dist)) throw new Error(`${dist} missing: build first (npx tsc -b)`);
const ingest = await import(dist);
const { default: kafkajs } = await import('kafkajs');

const { values: args } = parseArgs({
  options: {
    points: { type: 'string', default: process.env.BENCH_POINTS ?? '1000000' },
    batch: { type: 'string', default: '500' },
    partitions: { type: 'string', default: '2' },
    'no-java': { type: 'boolean', default: false },
  },
});
const N = Number(args.points);
const BATCH = Number(args.batch);
const PARTS = Number(args.partitions);
const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const log = (s) => process.stderr.write(`[bench] ${s}\n`);

/** A seeded stream of time-ordered fleet points, in reader-sized batches, generated on the fly. */
function* fleetPoints(total, vehicles = 1000) {
  const t0 = Date.now() - 7 * 86_400_000;
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const lat = Float64Array.from({ length: vehicles }, () => 52.3 + rnd() * 0.4);
  const lon = Float64Array.from({ length: vehicles }, () => 13.1 + rnd() * 0.5);
  let batch = [];
  for (let i = 0; i < total; i++) {
    const v = i % vehicles;
    lat[v] += (rnd() - 0.5) * 0.001;
    lon[v] += (rnd() - 0.5) * 0.001;
    batch.push({ vehicleId: `veh-${v}`, ts: t0 + Math.floor(i / vehicles) * 15_000, lat: +lat[v].toFixed(6), lon: +lon[v].toFixed(6), speedKmh: +(rnd() * 90).toFixed(1), heading: +(rnd() * 359).toFixed(1) });
    if (batch.length === 4096) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

function runJava(libs, mainClass, argv) {
  return new Promise((resolve, reject) => {
    let out = '';
    const c = spawn(process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java', ['-Xmx768m', '-cp', `${libs}/*`, mainClass, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${mainClass} exit ${code}: ${out.slice(-800)}`))));
  });
}

/** Consumes `expect` messages through the product's runner (decode + validate + group + commit). */
async function consumeValidated(brokers, topic, dlq, expectMessages) {
  let messages = 0;
  let points = 0;
  const offsets = new Map();
  const handler = {
    resumeOffset: (t, p) => offsets.get(`${t}/${p}`),
    apply: (b) => {
      offsets.set(`${b.topic}/${b.partition}`, b.nextOffset);
      messages += b.messages;
      points += b.points;
    },
  };
  let t0;
  let cpu0;
  const c = await ingest.runConsumer({ brokers, groupId: `bench-${topic}-${Date.now()}`, topic, dlqTopic: dlq, handler, sessionTimeoutMs: 10_000, onBatch: () => { if (t0 === undefined) { t0 = performance.now(); cpu0 = process.cpuUsage(); } } });
  const start = performance.now();
  while (messages < expectMessages) await new Promise((r) => setTimeout(r, 20));
  const end = performance.now();
  const cpu = process.cpuUsage(cpu0);
  await c.stop();
  if (c.stats.deadLetters) throw new Error(`unexpected dead letters: ${c.stats.deadLetters}`);
  // Rate from the first batch on: group join is not throughput.
  return { messages, points, secs: (end - (t0 ?? start)) / 1000, cpuSecs: (cpu.user + cpu.system) / 1e6 };
}

/** A bare kafkajs consumer that only counts: the client's own ceiling on this machine. */
async function consumeBare(brokers, topic, expectMessages) {
  const kafka = new kafkajs.Kafka({ brokers: [brokers], logLevel: kafkajs.logLevel.NOTHING });
  const c = kafka.consumer({ groupId: `bare-${topic}-${Date.now()}`, maxBytesPerPartition: 4 << 20, maxBytes: 16 << 20 });
  let n = 0;
  let t0;
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  await c.run({ autoCommit: false, eachBatch: async ({ batch }) => { t0 ??= performance.now(); n += batch.messages.length; } });
  while (n < expectMessages) await new Promise((r) => setTimeout(r, 20));
  const secs = (performance.now() - t0) / 1000;
  await c.disconnect();
  return { messages: n, secs };
}

const load0 = loadavg();
const home = await mkdtemp(join(tmpdir(), 'cotrans-bench-kafka-'));
const port = await ingest.freePort();
let ctrl = await ingest.freePort();
while (ctrl === port) ctrl = await ingest.freePort();
const rows = [];
try {
  log(`starting Kafka ${ingest.KAFKA_VERSION} in ${home}`);
  const info = await ingest.startBroker({ dir: home, port, controllerPort: ctrl, heapMb: 1024 });
  const brokers = info.brokers;
  log(`ready in ${info.startMs} ms on ${brokers}`);
  const T = { single: 'bench.single', batched: 'bench.batched', java: 'bench.java', dlq: 'bench.dlq' };
  await ingest.ensureTopics(brokers, [
    { topic: T.single, partitions: PARTS },
    { topic: T.batched, partitions: PARTS },
    { topic: T.java, partitions: PARTS },
    { topic: T.dlq, partitions: 1 },
  ]);

  const modes = [
    { name: 'single-point messages', topic: T.single, per: 1 },
    { name: `batched messages (${BATCH} points)`, topic: T.batched, per: BATCH },
  ];
    for (const m of modes) {
    log(`replay ${fmt(N)} points as ${m.name}`);
    const p = await ingest.replay(fleetPoints(N), { brokers, topic: m.topic, maxPointsPerMessage: m.per, bufferPoints: m.per * 1000 });
    const produce = p.points / (p.elapsedMs / 1000);
    log(`consume+validate ${fmt(p.messages)} messages`);
    const c = await consumeValidated(brokers, m.topic, T.dlq, p.messages);
    log(`bare kafkajs consume`);
    const bare = await consumeBare(brokers, m.topic, p.messages);
    m.avg = p.points / p.messages;
    if (m.per > 1) m.name = `batched messages (${m.avg.toFixed(0)} points avg)`;
    rows.push({ what: `replay (produce), ${m.name}`, points: p.points, messages: p.messages, pps: produce, mps: p.messages / (p.elapsedMs / 1000) });
    rows.push({ what: `consume+validate, ${m.name}`, points: c.points, messages: c.messages, pps: c.points / c.secs, mps: c.messages / c.secs, cpuPps: c.points / c.cpuSecs, cpuMps: c.messages / c.cpuSecs });
    rows.push({ what: `bare kafkajs consume (count only), ${m.name}`, points: bare.messages * m.avg, messages: bare.messages, pps: (bare.messages * m.avg) / bare.secs, mps: bare.messages / bare.secs });
  }

  if (!args['no-java']) {
    const libs = ingest.kafkaLibsDir();
    log('Kafka ProducerPerformance (Java), 100-byte records');
    const pp = await runJava(libs, 'org.apache.kafka.tools.ProducerPerformance', ['--topic', T.java, '--num-records', String(N), '--record-size', '100', '--throughput', '-1', '--producer-props', `bootstrap.servers=${brokers}`, 'acks=all']);
    const last = pp.trim().split('\n').filter((l) => /records sent/.test(l)).pop() ?? '';
    const jpRate = Number(/([\d.]+) records\/sec/.exec(last)?.[1] ?? NaN);
    rows.push({ what: 'Java ProducerPerformance (100 B records)', points: N, messages: N, pps: jpRate, mps: jpRate });
    for (const m of modes) {
      log(`Kafka ConsumerPerformance (Java) on ${m.topic}`);
      const msgs = rows.find((r) => r.what === `replay (produce), ${m.name}`).messages;
      // Same fetch sizes as our consumer (4 MiB per partition, 16 MiB per fetch), for a like-for-like ratio.
      const props = join(home, 'consumer.properties');
      await writeFile(props, 'max.partition.fetch.bytes=4194304\nfetch.max.bytes=16777216\n');
      const out = await runJava(libs, 'org.apache.kafka.tools.ConsumerPerformance', ['--bootstrap-server', brokers, '--topic', m.topic, '--messages', String(msgs), '--timeout', '60000', '--consumer.config', props]);
      // The summary line: start, end, MB, MB/s, nMsg, nMsg/s, rebalance ms, fetch ms, fetch MB/s, fetch nMsg/s
      const summary = out.trim().split('\n').filter((l) => /^\d{4}-/.test(l)).pop();
      let fetchMps = NaN;
      if (summary) {
        const f = summary.split(',').map((s) => s.trim());
        fetchMps = Number(f[f.length - 1]);
      } else {
        const lines = out.trim().split('\n');
        const hdr = lines.findIndex((l) => /nMsg\.sec/.test(l));
        if (hdr >= 0 && lines[hdr + 1]) fetchMps = Number(lines[hdr + 1].split(',').pop());
      }
      if (!Number.isFinite(fetchMps)) log(`could not read ConsumerPerformance output: ${out.slice(-600)}`);
      rows.push({ what: `Java ConsumerPerformance, ${m.name}`, points: msgs * m.avg, messages: msgs, pps: fetchMps * m.avg, mps: fetchMps, java: true, javaOut: out.slice(-400) });
    }
  }
} finally {
  await ingest.stopBroker(home).catch(() => undefined);
  await rm(home, { recursive: true, force: true });
}

console.log(`\ningest benchmark: ${fmt(N)} points per mode, ${PARTS} partitions, Kafka ${ingest.KAFKA_VERSION}, node ${process.version}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
console.log('what'.padEnd(62), 'messages/s'.padStart(12), 'points/s'.padStart(12));
for (const r of rows) console.log(r.what.padEnd(62), fmt(r.mps).padStart(12), fmt(r.pps).padStart(12));
// Wall-clock rates move with whatever else the 2 cores run; the node process's own CPU time does much less.
for (const r of rows.filter((x) => x.cpuPps)) console.log(`${r.what}: per CPU-second of the node process ${fmt(r.cpuMps)} msg, ${fmt(r.cpuPps)} points`);
console.log(`load average at start ${load0.map((x) => x.toFixed(1)).join(' ')}, at end ${loadavg().map((x) => x.toFixed(1)).join(' ')} (2 cores; above ~2 the figures are depressed by other work)`);
const get = (prefix) => rows.find((r) => r.what.startsWith(prefix));
const single = get('consume+validate, single');
const batched = get('consume+validate, batched');
console.log('');
console.log(`target consume+validate single-point >= 80k msg/s: ${fmt(single.mps)} msg/s ${single.mps >= 80_000 ? 'MET' : 'NOT MET'}`);
console.log(`target consume+validate batched >= 500k points/s: ${fmt(batched.pps)} points/s ${batched.pps >= 500_000 ? 'MET' : 'NOT MET'}`);
for (const kind of ['single', 'batched']) {
  const ours = get(`consume+validate, ${kind}`);
  const bare = get(`bare kafkajs consume (count only), ${kind}`);
  const java = get(`Java ConsumerPerformance, ${kind}`);
  console.log(`${kind}: ours / bare kafkajs = ${(ours.mps / bare.mps).toFixed(2)}${java ? `; ours / Java consumer = ${(ours.mps / java.mps).toFixed(2)}; bare kafkajs / Java = ${(bare.mps / java.mps).toFixed(2)}` : ''}`);
}
