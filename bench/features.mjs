#!/usr/bin/env node
// npm run bench:features [-- --vehicles N] [--peer-budget S] [--no-peer]
// Points/s of the features stage on a simulated week of the target fleet (writeFleet, cached under
// bench/results/): parse only vs parse + clean + features + images, in the same run, plus the
// features stage alone from memory, CPU time per point and window memory per vehicle. Peer:
// MovingPandas (venv bench/.venv-features, created on first run) computing daily length and stay
// points on the real Cabspotting week, against ours on the same files. Imports the built dist of
// the stages (npm ci / npx tsc -b builds them).
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const need = ['fixtures', 'ingest', 'features'].map((p) => join(root, p, 'dist/index.js'));
for (const f of need) if (!existsSync(f)) throw new Error(`${f} missing: build first (npx tsc -b)`);
const { writeFleet } = await import(join(root, 'fixtures/dist/index.js'));
const { readPoints } = await import(join(root, 'ingest/dist/index.js'));
const { computeFleet, VehicleWindow } = await import(join(root, 'features/dist/index.js'));

const { values: args } = parseArgs({
  options: {
    vehicles: { type: 'string', default: process.env.BENCH_VEHICLES ?? '2000' },
    days: { type: 'string', default: '7' },
    'peer-budget': { type: 'string', default: '150' },
    'no-peer': { type: 'boolean', default: false },
  },
});
const V = Number(args.vehicles);
const DAYS = Number(args.days);
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
async function timed(fn) {
  gc();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { out, wall, cpu: (c.user + c.system) / 1e6 };
}

console.log(`# features bench: ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, node ${process.version}`);

// 0. window memory per vehicle, first, on a clean heap: open windows fed a whole simulated week
// streamed from the simulator (the points themselves are not kept)
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 20));
    gc();
  }
};
const memory = await (async () => {
  const { generateFleet } = await import(join(root, 'fixtures/dist/index.js'));
  await settle();
  const h0 = process.memoryUsage().heapUsed;
  const fleet = generateFleet({ preset: 'target', vehicles: 200, days: 7, seed: 2 });
  const windows = new Map();
  for (const b of fleet.points()) {
    for (const p of b) {
      let w = windows.get(p.vehicleId);
      if (!w) windows.set(p.vehicleId, (w = new VehicleWindow(p.vehicleId, { tz: fleet.city.tz })));
      w.push(p.ts, p.lat, p.lon);
    }
  }
  await settle(); // the simulator's route cache stays alive here: the figure is an upper bound
  const heapKB = (process.memoryUsage().heapUsed - h0) / windows.size / 1024;
  let snapMax = 0;
  let snapSum = 0;
  let cellsMax = 0;
  for (const w of windows.values()) {
    const s = JSON.stringify(w.snapshot()).length;
    snapSum += s;
    snapMax = Math.max(snapMax, s);
    cellsMax = Math.max(cellsMax, w.held.cells);
  }
  return { vehicles: windows.size, heapKB, snapMeanKB: snapSum / windows.size / 1024, snapMaxKB: snapMax / 1024, cellsMax };
})();

// 1. the simulated week (cached)
const dir = join(root, 'bench/results', `features-target-${V}v-${DAYS}d`);
const pointsFile = join(dir, 'points.csv.gz');
if (!existsSync(pointsFile)) {
  process.stdout.write(`generating ${V} target vehicles x ${DAYS} days -> ${dir} ... `);
  const g = await timed(() => writeFleet({ preset: 'target', vehicles: V, days: DAYS, seed: 1 }, dir));
  console.log(`${fmt(g.out.points)} points in ${g.wall.toFixed(1)} s`);
}
const city = JSON.parse(readFileSync(join(dir, 'city.json'), 'utf8'));
const tz = city.tz ?? city.city?.tz;
const opts = { tz, images: true, keepImages: false };

// 2-3. parse only vs end to end, alternated twice; the better of each (the dev box is shared)
const best = (a, b) => (!a || b.cpu < a.cpu ? b : a);
let parse = null;
let e2e = null;
for (let rep = 0; rep < 2; rep++) {
  parse = best(
    parse,
    await timed(async () => {
      let n = 0;
      for await (const b of readPoints(pointsFile)) n += b.length;
      return n;
    }),
  );
  e2e = best(e2e, await timed(() => computeFleet(readPoints(pointsFile), opts)));
}
const N = parse.out;
const vehicles = e2e.out.features.length;

// 4. the features stage alone, from memory (clean + features + images); the first pass warms up
const KEEP_MAX = 6_000_000;
const kept = [];
let keptN = 0;
for await (const b of readPoints(pointsFile)) {
  if (keptN + b.length > KEEP_MAX) break;
  kept.push(b);
  keptN += b.length;
}
await computeFleet(kept, opts);
const mem = await timed(() => computeFleet(kept, opts));

kept.length = 0;
const nWin = memory.vehicles;
const rate = (n, s) => n / s;
console.log(`\nsimulated target week: ${fmt(N)} points, ${vehicles} vehicles (${(N / vehicles).toFixed(0)} points/vehicle)`);
console.log(`parse only (ingest readPoints, csv.gz)      : ${fmt(rate(N, parse.wall))} points/s wall, ${fmt(rate(N, parse.cpu))} points/cpu-s`);
console.log(`parse + clean + features + images           : ${fmt(rate(N, e2e.wall))} points/s wall, ${fmt(rate(N, e2e.cpu))} points/cpu-s   target >= 1M/s`);
console.log(`  end to end / parse only                   : ${(parse.wall / e2e.wall).toFixed(2)} wall, ${(parse.cpu / e2e.cpu).toFixed(2)} cpu                    target >= 0.5`);
console.log(`clean + features + images, from memory      : ${fmt(rate(keptN, mem.wall))} points/s wall, ${fmt(rate(keptN, mem.cpu))} points/cpu-s (${fmt(keptN)} points)`);
console.log(`window state per vehicle (a week, open)     : ${memory.heapKB.toFixed(1)} KB heap (upper bound: includes simulator leftovers); snapshot JSON mean ${memory.snapMeanKB.toFixed(1)} KB, max ${memory.snapMaxKB.toFixed(1)} KB, max cells held ${memory.cellsMax} (${nWin} vehicles)`);

// 5. the peer on the real taxi week (ours: the better of two runs)
const real = join(root, '../shared/data/real/cabspotting-week');
if (args['no-peer']) {
  console.log('\npeer: skipped (--no-peer)');
} else if (!existsSync(real)) {
  console.log(`\npeer: skipped, ${real} not present`);
} else {
  const venv = join(root, 'bench/.venv-features');
  const py = join(venv, 'bin/python');
  if (!existsSync(py)) {
    console.log('\ncreating bench/.venv-features (movingpandas 0.20.0) ...');
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(join(venv, 'bin/pip'), ['install', '-q', 'movingpandas==0.20.0'], { stdio: 'inherit' });
  }
  let ours = null;
  for (let rep = 0; rep < 2; rep++) {
    const t = await timed(async () => {
      const reader = readPoints(real, { format: 'cabspotting' });
      const r = await computeFleet(reader, { tz: 'America/Los_Angeles', images: true, keepImages: false });
      return { n: reader.summary.points, r };
    });
    if (!ours || t.wall < ours.wall) ours = t;
  }
  const res = spawnSync(py, [join(root, 'bench/features_peer.py'), real, args['peer-budget']], { encoding: 'utf8' });
  if (res.status !== 0) {
    console.log(`\npeer failed: ${res.stderr.slice(-500)}`);
  } else {
    const peer = JSON.parse(res.stdout.trim().split('\n').pop());
    const oursRate = ours.out.n / ours.wall;
    const kmOurs = ours.out.r.features.reduce((s, f) => s + f.values[0] * f.values[12], 0);
    console.log(`\nreal Cabspotting week (${fmt(ours.out.n)} points, 50 taxis):`);
    console.log(`ours: parse + clean + all features + images : ${fmt(oursRate)} points/s wall (${ours.wall.toFixed(2)} s), ${kmOurs.toFixed(0)} km driven`);
    console.log(`${peer.peer}: daily length + stay points : ${fmt(peer.points_per_s)} points/s (${peer.cabs}/${peer.of} cabs, ${fmt(peer.points)} points in ${peer.seconds.toFixed(1)} s), ${peer.km.toFixed(0)} km`);
    console.log(`ratio ours / peer                           : ${(oursRate / peer.points_per_s).toFixed(0)}x   aim >= 50x`);
  }
}
