#!/usr/bin/env node
// Calibration per stratum: the simulator's private cars, part-time drivers, moonlighters and
// full-time cabs against the real development week (../shared/data/real/dev-week), on the product's
// own features (the same computeFleet as training and classification). Per feature: the medians
// and the two-sample Kolmogorov-Smirnov statistic D (the largest gap between the two empirical
// distributions; 0 = identical, 1 = disjoint). Reads the real data by path, never copies it, and
// skips cleanly where it is absent.
// Writes the per-stratum section of fixtures/CALIBRATION.md (between its strata markers).
// Usage: node bench/calibrate-strata.mjs [--seed S] [--stdout]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateFleet } from '@cotrans/fixtures';
import { readPoints } from '@cotrans/ingest';
import { computeFleet, FEATURE_COLUMNS } from '@cotrans/features';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const devWeek = resolve(repo, '../shared/data/real/dev-week');
const { values } = parseArgs({ options: { seed: { type: 'string', default: '11' }, stdout: { type: 'boolean' } } });
const seed = Number(values.seed);
const SF_TZ = 'America/Los_Angeles';

const FEATURES = [
  'active_days', 'dist_mean_km', 'trips_per_day', 'trip_len_mean_km', 'stays_per_day', 'top_location_share',
  'overnight_consistency', 'engine_hours_per_day', 'session_max_h', 'shift_sessions', 'cov_mean_cells', 'sim_days_mean',
  'night_drive_share', 'idle_engine_share',
];
// real stratum -> simulated stratum
const PAIRS = [
  ['private', 'private'],
  ['taxi-part', 'part-time'],
  ['moonlight', 'moonlight'],
  ['taxi-full', 'full-time'],
];
const COUNTS = { private: 150, 'part-time': 40, moonlight: 40, 'full-time': 30 };

/** Two-sample KS statistic, NaN dropped. */
export function ks(a, b) {
  const x = a.filter(Number.isFinite).sort((p, q) => p - q);
  const y = b.filter(Number.isFinite).sort((p, q) => p - q);
  if (!x.length || !y.length) return NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

const median = (v) => {
  const s = v.filter(Number.isFinite).sort((p, q) => p - q);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

function byColumn(rows) {
  const out = {};
  for (const c of FEATURES) out[c] = rows.map((r) => r.values[FEATURE_COLUMNS.indexOf(c)]);
  return out;
}

async function simulated(preset) {
  const n = Object.values(COUNTS).reduce((a, b) => a + b, 0);
  const shared = n - COUNTS.private;
  const mix = { fullTime: COUNTS['full-time'] / shared, partTime: COUNTS['part-time'] / shared, moonlight: COUNTS.moonlight / shared, carSharing: 0 };
  const fleet = generateFleet({ preset, vehicles: n, sharedShare: shared / n, mix, seed });
  const res = await computeFleet(fleet.points(), { tz: fleet.city.tz, images: false });
  const stratum = new Map(fleet.labels.map((l) => [l.vehicleId, l.stratum]));
  const out = {};
  for (const f of res.features) if (!f.flags.includes('no_data')) (out[stratum.get(f.vehicleId)] ??= []).push(f);
  return out;
}

async function real() {
  const points = join(devWeek, 'points.csv.gz');
  if (!existsSync(points)) return null;
  const truth = new Map(readFileSync(join(devWeek, 'truth.csv'), 'utf8').trim().split('\n').slice(1).map((l) => {
    const c = l.split(',');
    return [c[0], c[2]];
  }));
  const res = await computeFleet(readPoints(points), { tz: SF_TZ, images: false });
  const out = {};
  for (const f of res.features) (out[truth.get(f.vehicleId)] ??= []).push(f);
  return out;
}

const t0 = performance.now();
const [realRows, simA, simB] = await Promise.all([real(), simulated('source'), simulated('target')]);
const fmt = (x) => (Number.isFinite(x) ? (Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2)) : 'n/a');
const lines = ['<!-- strata: written by `npm run calibrate` (bench/calibrate-strata.mjs); do not edit by hand -->', ''];
lines.push('## Per stratum, against the real development week', '');
lines.push(`Features of \`cotrans features\` (features/README.md) per vehicle; simulated: ${Object.entries(COUNTS).map(([k, v]) => `${v} ${k}`).join(', ')}`);
lines.push(`vehicles of each preset (seed ${seed}, 7 days; source at 60 s, target at 15 s); real: the dev week (../shared/data/real/dev-week, 60 s).`);
lines.push('Median of each, and the two-sample Kolmogorov-Smirnov statistic D against the real stratum (0: the same distribution; 1: disjoint).', '');
if (!realRows) lines.push(`_Real data not found at ${devWeek}: the real columns are empty (the script skips cleanly)._`, '');
const summary = [];
for (const [realName, simName] of PAIRS) {
  const r = realRows?.[realName] ?? [];
  const a = simA[simName] ?? [];
  const b = simB[simName] ?? [];
  const R = byColumn(r);
  const A = byColumn(a);
  const B = byColumn(b);
  lines.push(`### real ${realName} (${r.length}) vs simulated ${simName} (source ${a.length}, target ${b.length})`, '');
  lines.push('| feature | real median | source median | KS D | target median | KS D |', '|---|---:|---:|---:|---:|---:|');
  let dA = 0;
  let dB = 0;
  for (const c of FEATURES) {
    const ka = ks(R[c], A[c]);
    const kb = ks(R[c], B[c]);
    dA += Number.isFinite(ka) ? ka : 0;
    dB += Number.isFinite(kb) ? kb : 0;
    lines.push(`| ${c} | ${fmt(median(R[c]))} | ${fmt(median(A[c]))} | ${fmt(ka)} | ${fmt(median(B[c]))} | ${fmt(kb)} |`);
  }
  summary.push([realName, simName, dA / FEATURES.length, dB / FEATURES.length]);
  lines.push('');
}
lines.push('### Mean KS D over the features', '', '| real stratum | simulated | source | target |', '|---|---|---:|---:|');
for (const [r, s, a, b] of summary) lines.push(`| ${r} | ${s} | ${fmt(a)} | ${fmt(b)} |`);
lines.push('', '<!-- /strata -->');
const section = lines.join('\n');
const file = join(repo, 'fixtures/CALIBRATION.md');
if (values.stdout || !existsSync(file)) process.stdout.write(section + '\n');
else {
  const md = readFileSync(file, 'utf8');
  const start = md.indexOf('<!-- strata');
  const end = md.indexOf('<!-- /strata -->');
  const next = start >= 0 && end > start ? md.slice(0, start) + section + md.slice(end + '<!-- /strata -->'.length) : md.trimEnd() + '\n\n' + section + '\n';
  writeFileSync(file, next);
  process.stdout.write(section + '\n');
  process.stdout.write(`\nwrote the per-stratum section of fixtures/CALIBRATION.md in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
