#!/usr/bin/env node
// npm run bench:simulate [-- --vehicles 10000] [--days 7] [--fraction 1] [--no-peer] [--keep DIR]
// Generation speed of the target preset (10,000 cars x 7 days at 15 s by default) written as
// points.csv.gz + labels.csv + city.json (what `cotrans simulate --out` does), plus generation alone
// (no CSV, no gzip). With --fraction F < 1 only F of the vehicles are simulated and the full-fleet
// time is extrapolated (vehicles are independent, so time scales linearly; said so in the output).
// Peer, same run: system `gzip -6` compressing the same CSV rows from a file (the floor for producing that file:
// a simulator cannot write its .gz faster than gzip alone compresses it). Imports the built dist.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'fixtures/dist/index.js');
if (!existsSync(dist)) throw new Error(`${dist} missing: build first (npx tsc -b fixtures)`);
const { generateFleet, writeFleet } = await import(dist);

const { values: args } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '10000' },
    days: { type: 'string', default: '7' },
    interval: { type: 'string', default: '15' },
    fraction: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    'no-peer': { type: 'boolean', default: false },
    keep: { type: 'string' },
  },
});
const fullVehicles = Number(args.vehicles);
const fraction = Number(args.fraction);
const vehicles = Math.max(1, Math.round(fullVehicles * fraction));
const opts = { preset: 'target', vehicles, days: Number(args.days), intervalS: Number(args.interval), seed: Number(args.seed) };
const scale = fullVehicles / vehicles;
const fmt = (n) => Math.round(n).toLocaleString('en-US');
let peakRss = 0;
const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
const timer = setInterval(sample, 200);

console.log(`target preset: ${fmt(vehicles)} vehicles x ${opts.days} days at ${opts.intervalS} s, seed ${opts.seed}` + (scale > 1 ? ` (a ${fraction} fraction of ${fmt(fullVehicles)}; full-fleet figures extrapolated linearly)` : ''));

// 1. Generation only.
let t0 = performance.now();
let genPoints = 0;
for (const cols of generateFleet(opts).columns()) genPoints += cols.size;
const genS = (performance.now() - t0) / 1000;
console.log(`generate only:        ${fmt(genPoints)} points in ${genS.toFixed(1)} s = ${fmt(genPoints / genS)} points/s`);

// 2. Generation + CSV + gzip to files (the CLI path).
const dir = args.keep ?? (await mkdtemp(join(tmpdir(), 'cotrans-bench-sim-')));
peakRss = 0;
t0 = performance.now();
const res = await writeFleet(opts, dir);
const writeS = (performance.now() - t0) / 1000;
sample();
const gzBytes = (await stat(res.files.points)).size;
console.log(`generate + csv.gz:    ${fmt(res.points)} points in ${writeS.toFixed(1)} s = ${fmt(res.points / writeS)} points/s; points.csv.gz ${(gzBytes / 1e6).toFixed(1)} MB; peak RSS ${(peakRss / 1e6).toFixed(0)} MB`);
if (scale > 1) console.log(`extrapolated to ${fmt(fullVehicles)} vehicles: ~${fmt(res.points * scale)} points, generate + csv.gz ~${(writeS * scale).toFixed(0)} s (${((writeS * scale) / 60).toFixed(1)} min), generate only ~${(genS * scale).toFixed(0)} s`);
else console.log(`total for ${fmt(fullVehicles)} vehicles x ${opts.days} days: ${writeS.toFixed(1)} s (${(writeS / 60).toFixed(1)} min) with csv.gz, ${genS.toFixed(1)} s generation only`);

// 3. Peer: system gzip -6 compressing the same CSV rows (decompressed to a temp file first, untimed).
if (!args['no-peer']) {
  const sh = (cmd) => {
    const t = performance.now();
    const r = spawnSync('sh', ['-c', cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`peer command failed: ${cmd}`);
    return (performance.now() - t) / 1000;
  };
  const csv = join(dir, 'points.csv');
  sh(`gzip -dc '${res.files.points}' > '${csv}'`);
  const gzipS = sh(`gzip -6 -c '${csv}' > /dev/null`);
  await rm(csv, { force: true });
  console.log(`peer gzip -6 alone:   ${fmt(res.points)} rows in ${gzipS.toFixed(1)} s = ${fmt(res.points / gzipS)} rows/s`);
  console.log(`ratio: simulate + write takes ${(writeS / gzipS).toFixed(2)}x the time gzip alone needs for the same output`);
}
clearInterval(timer);
if (!args.keep) await rm(dir, { recursive: true, force: true });
