#!/usr/bin/env node
// npm run bench:accuracy [-- --pairs 1:1,1:2 | --shares | --quick] [--real-only | --skip-real] [--dev-week DIR] [--data DIR] [--out DIR] [--seed N] [-- <evaluate options>]
// The accuracy table of the learning stage, reproducible in one command: simulates the source and target fleets
// of every pair (cached in --data; the simulator is seeded, so the same pair gives the same bytes) and
// runs `cotrans evaluate --experiment` on each (source-only RF, CNN on stage-1 seeds, CoTrans, and the
// supervised upper bound by 5-fold CV with the target truth), then prints and writes the table with
// the gap to the bound and the means. Options after a bare `--` go to every `evaluate --experiment`
// (e.g. `-- --weight-rf 0 --decision balanced`), so a variant is measured on the same pairs.
// About 2-3 minutes per pair on 2 cores (CoTrans is a bag of three runs; 1:1 took 3.0 min, the twelve pairs 31 min with
// their fleets simulated); --quick runs the first three pairs only; --shares runs the six
// pairs whose targets hold 2% to 16% shared vehicles instead of the twelve.
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { realRows, realTable } from './accuracy-real.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'cli/bin/cotrans.js');
if (!existsSync(join(root, 'cli/dist/main.js'))) throw new Error('cli/dist missing: build first (npx turbo run build)');

// Sources: `simulate --preset source --vehicles 500`; targets: `simulate --preset target --vehicles
// 2000`, seeds as named. 1 -> 1 is the preset benchmark (both presets at their default
// seed); the other seeds are the ones the defaults were developed and checked on (docs/experiments/2026-12-02-learning-stage-history.md says
// which pair decided what). The last two targets change the class mix.
const PAIRS = [
  { source: 1, target: 1 },
  { source: 1, target: 2 },
  { source: 3, target: 11 },
  { source: 1, target: 7 },
  { source: 3, target: 2 },
  { source: 5, target: 13 },
  { source: 7, target: 17 },
  { source: 9, target: 19 },
  { source: 21, target: 31 },
  { source: 23, target: 33 },
  { source: 21, target: 35, name: '60% part-time', args: ['--mix', 'full-time=0.2,part-time=0.6,car-sharing=0.2'] },
  { source: 23, target: 37, name: '4% shared', args: ['--shared-share', '0.04'] },
];

// Targets at other shares of shared vehicles (the preset's is 8%), with sources and targets of seeds
// no earlier pair used. They were simulated to look at stage 1's share estimate and the final cut
// away from 8%, and chose the cut's guard (cotrain.ts, `cutGuard`) on them: they are development
// pairs for that guard, not a held-out check.
const SHARES = [
  { source: 43, target: 61, name: '2% shared', args: ['--shared-share', '0.02'] },
  { source: 45, target: 65, name: '2% shared, half part-time', args: ['--shared-share', '0.02', '--mix', 'full-time=0.2,part-time=0.5,car-sharing=0.3'] },
  { source: 45, target: 63, name: '3% shared', args: ['--shared-share', '0.03'] },
  { source: 43, target: 55, name: '4% shared', args: ['--shared-share', '0.04'] },
  { source: 43, target: 57, name: '12% shared', args: ['--shared-share', '0.12'] },
  { source: 45, target: 69, name: '16% shared', args: ['--shared-share', '0.16'] },
];

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    pairs: { type: 'string' },
    data: { type: 'string', default: join(tmpdir(), 'cotrans-bench-accuracy') },
    out: { type: 'string' },
    seed: { type: 'string', default: '0' },
    quick: { type: 'boolean', default: false },
    shares: { type: 'boolean', default: false },
    'real-only': { type: 'boolean', default: false },
    'skip-real': { type: 'boolean', default: false },
    // the development week lives beside the repository; a clone elsewhere names it
    'dev-week': { type: 'string', default: join(root, '../shared/data/real/dev-week') },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  console.log('npm run bench:accuracy [-- --pairs 1:1,1:2 | --shares | --quick] [--real-only | --skip-real] [--dev-week DIR] [--data DIR] [--out DIR] [--seed N] [-- <evaluate options>]');
  console.log('real rows (after the simulated pairs, where ../shared/data/real/dev-week exists): the dev week as it is (sources 1 and 3), three draws at a realistic share, and halves with and without a real labelled source');
  const list = (ps) => ps.map((p) => `${p.source}:${p.target}${p.name ? ` (${p.name})` : ''}`).join(', ');
  console.log(`pairs (source:target seeds): ${list(PAIRS)}`);
  console.log(`--shares: ${list(SHARES)}`);
  process.exit(0);
}

let pairs = PAIRS;
if (opt.pairs) {
  pairs = opt.pairs.split(',').map((p) => {
    const [s, t] = p.split(':').map(Number);
    const known = [...PAIRS, ...SHARES].find((q) => q.source === s && q.target === t);
    if (!Number.isInteger(s) || !Number.isInteger(t)) throw new Error(`--pairs: '${p}' is not SOURCE:TARGET (two integer seeds)`);
    return known ?? { source: s, target: t };
  });
} else if (opt.shares) pairs = SHARES;
else if (opt.quick) pairs = PAIRS.slice(0, 3);
if (opt['real-only']) pairs = [];
const evalArgs = positionals;
const out = opt.out ?? join(opt.data, 'results');

function run(args, log) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (d) => chunks.push(d));
    child.stderr.on('data', (d) => chunks.push(d));
    child.on('error', reject);
    child.on('close', async (code) => {
      const text = Buffer.concat(chunks).toString();
      if (log) await writeFile(log, text);
      if (code === 0) resolve(text);
      else reject(new Error(`cotrans ${args.slice(0, 2).join(' ')} exited ${code}${log ? ` (log: ${log})` : ''}\n${text.slice(-2000)}`));
    });
  });
}

// Cached fleets live under a hash of the simulator's built code: a fleet written by another build of
// the simulator (same seed, different bytes) is never reused.
async function simulatorHash() {
  const dist = join(root, 'fixtures/dist');
  const h = createHash('sha256');
  for (const f of (await readdir(dist)).filter((f) => f.endsWith('.js')).sort()) h.update(f).update(await readFile(join(dist, f)));
  return h.digest('hex').slice(0, 12);
}
const fleets = join(opt.data, `fleets-${await simulatorHash()}`);

async function fleet(kind, seed, extra = [], vehicles) {
  const name = `${kind}${seed}${extra.length ? '-' + extra.join('').replace(/[^a-z0-9.]+/gi, '_') : ''}`;
  const dir = join(fleets, name);
  if (!existsSync(join(dir, 'labels.csv'))) {
    await run(['simulate', '--preset', kind, '--vehicles', String(vehicles), '--seed', String(seed), ...extra, '--out', dir]);
  }
  return dir;
}

await mkdir(out, { recursive: true });
const t0 = performance.now();
const results = [];
console.log(`${pairs.length} pair(s); fleets in ${fleets}; results in ${out}${evalArgs.length ? `; evaluate options: ${evalArgs.join(' ')}` : ''}`);
for (const [k, p] of pairs.entries()) {
  const label = `${p.source} -> ${p.target}${p.name ? ` (${p.name})` : ''}`;
  const src = await fleet('source', p.source, [], 500);
  const tgt = await fleet('target', p.target, p.args ?? [], 2000);
  const dir = join(out, `${p.source}-${p.target}`);
  const t1 = performance.now();
  await run(
    ['experiment', '--source', join(src, 'points.csv.gz'), '--source-labels', join(src, 'labels.csv'), '--target', join(tgt, 'points.csv.gz'), '--truth', join(tgt, 'labels.csv'), '--seed', opt.seed, '--out', dir, ...evalArgs],
    `${dir}.log`,
  );
  const exp = JSON.parse(await readFile(join(dir, 'experiment.json'), 'utf8'));
  const row = (prefix) => exp.rows.find((r) => r.method.startsWith(prefix)).report;
  const r = { label, mixed: Boolean(p.args), sourceOnly: row('source-only'), seedsCnn: row('CNN on'), cotrans: row('CoTrans'), supervised: row('supervised'), share: exp.prior, trueShare: exp.sharedShare };
  results.push(r);
  const done = (performance.now() - t0) / 1000;
  const eta = (done / (k + 1)) * (pairs.length - k - 1);
  console.log(`${label}: CoTrans F1 ${pct(r.cotrans.f1)}, supervised ${pct(r.supervised.f1)}, gap ${(100 * (r.cotrans.f1 - r.supervised.f1)).toFixed(1)} (${((performance.now() - t1) / 1000).toFixed(0)} s; ETA ${Math.round(eta)} s)`);
}

function pct(v) {
  return Number.isFinite(v) ? (100 * v).toFixed(1) : 'n/a';
}
const cell = (rep) => `${pct(rep.f1)} (${pct(rep.precision)} / ${pct(rep.recall)}) [${pct(rep.rocAuc)}]`;
const lines = [
  '| source -> target | source-only RF (stage 1) | CNN on stage-1 seeds | **CoTrans** | supervised upper bound (5-fold CV) | CoTrans - supervised | FP / FN of CoTrans | share: stage 1 / true |',
  '|---|---|---|---|---|---|---|---|',
];
for (const r of results) {
  const c = r.cotrans.confusion;
  lines.push(`| ${r.label} | ${cell(r.sourceOnly)} | ${cell(r.seedsCnn)} | **${cell(r.cotrans)}** | ${cell(r.supervised)} | ${(100 * (r.cotrans.f1 - r.supervised.f1)).toFixed(1)} | ${c.fp} / ${c.fn} | ${pct(r.share)}% / ${pct(r.trueShare)}% |`);
}
const mean = (rs, f) => pct(rs.reduce((a, r) => a + f(r), 0) / rs.length);
for (const [name, rs] of [
  ['mean of the pairs with the preset mix', results.filter((r) => !r.mixed)],
  ['mean of all', results],
]) {
  if (!rs.length || (name.startsWith('mean of all') && rs.length === results.filter((r) => !r.mixed).length)) continue;
  const within = rs.filter((r) => r.supervised.f1 - r.cotrans.f1 <= 0.03).length;
  lines.push(`| ${name} (${rs.length}) | ${mean(rs, (r) => r.sourceOnly.f1)} | ${mean(rs, (r) => r.seedsCnn.f1)} | **${mean(rs, (r) => r.cotrans.f1)}** | ${mean(rs, (r) => r.supervised.f1)} | ${(Number(mean(rs, (r) => r.cotrans.f1)) - Number(mean(rs, (r) => r.supervised.f1))).toFixed(1)} | within 3 points: ${within} of ${rs.length} | |`);
}
const table = results.length ? lines.join('\n') : '';
if (table) console.log('\nF1 of shared (precision / recall) [ROC AUC]\n' + table);

let real = null;
const devWeek = resolve(opt['dev-week']);
if (!opt['skip-real']) {
  const t1 = performance.now();
  real = await realRows({
    devWeek,
    work: join(out, 'real'),
    source: (seed) => fleet('source', seed, [], 500),
    experiment: async (sources, targetDir, dir) => {
      await run(
        ['experiment', ...sources.flatMap((s) => ['--source', s.points, '--source-labels', s.labels]), '--target', join(targetDir, 'points.csv.gz'), '--truth', join(targetDir, 'truth.csv'), '--seed', opt.seed, '--out', dir, ...evalArgs],
        `${dir}.log`,
      );
      return JSON.parse(await readFile(join(dir, 'experiment.json'), 'utf8'));
    },
  });
  if (real) console.log(`\nReal development week (${devWeek}; ${((performance.now() - t1) / 1000).toFixed(0)} s): F1 of shared (precision / recall) [ROC AUC]\n${realTable(real)}`);
  else console.log(`\nreal rows skipped: ${devWeek} not found (--dev-week DIR names it)`);
}
const realMd = real ? `\n\n## Real development week\n\nF1 of shared (precision / recall) [ROC AUC]\n\n${realTable(real)}\n` : '';
await writeFile(join(out, 'accuracy.md'), `# CoTrans accuracy (bench:accuracy, train seed ${opt.seed}${evalArgs.length ? `, ${evalArgs.join(' ')}` : ''})\n\nF1 of shared (precision / recall) [ROC AUC]\n\n${table}\n${realMd}`);
await writeFile(join(out, 'accuracy.json'), JSON.stringify({ seed: Number(opt.seed), evaluateOptions: evalArgs, results, real: real?.map((r) => ({ name: r.name, kind: r.kind, sourceSeed: r.sourceSeed, rows: r.exp.rows, vehicles: r.exp.vehicles, sharedShare: r.exp.sharedShare })) ?? null }, null, 1));
console.log(`\nwrote ${join(out, 'accuracy.md')} and accuracy.json (${((performance.now() - t0) / 60000).toFixed(1)} min)`);
