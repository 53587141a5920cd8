// The real rows of bench:accuracy: CoTrans on the real development week (../shared/data/real/dev-week),
// read by path and never copied into the repo. The week is cut into targets under a temporary folder:
//   - the week as it is (45 vehicles, about half of them shared), against two simulated sources;
//   - three draws at a realistic share: every private car and 3 of each shared stratum;
//   - a small real labelled source: the week split in two halves (stratified, seeded); the target is
//     one half, the source is the simulated fleet alone or the simulated fleet plus the other half
//     with its labels (train --source given twice). Both halves take each role.
// Each target runs the same `cotrans evaluate --experiment` as the simulated pairs, with the same
// options. Skips cleanly (returns null) where the week is absent.
import { existsSync, createReadStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { mulberry32 as rng } from '@cotrans/cotrans';

const STRATA = ['taxi-full', 'taxi-part', 'moonlight'];
const DRAWS = 3;
const PER_STRATUM = 3;

// the draws are seeded (mulberry32), so every run cuts the same targets
function take(pool, k, rnd) {
  const p = [...pool];
  const out = [];
  for (let j = 0; j < k && p.length; j++) out.push(p.splice(Math.floor(rnd() * p.length), 1)[0]);
  return out;
}

async function readWeek(dir) {
  const truthText = await readFile(join(dir, 'truth.csv'), 'utf8');
  const [head, ...rows] = truthText.trim().split('\n');
  const truth = rows.map((l) => {
    const [vehicleId, label, stratum] = l.split(',');
    return { vehicleId, label, stratum, line: l };
  });
  const byVehicle = new Map();
  let header = null;
  for await (const line of createInterface({ input: createReadStream(join(dir, 'points.csv.gz')).pipe(createGunzip()) })) {
    if (header === null) {
      header = line;
      continue;
    }
    const id = line.slice(0, line.indexOf(','));
    let a = byVehicle.get(id);
    if (!a) byVehicle.set(id, (a = []));
    a.push(line);
  }
  return { truthHead: head, truth, header, byVehicle };
}

/** A target folder: points.csv.gz, truth.csv and city.json (time zone) for the chosen vehicles. */
async function writeSubset(week, ids, dir, tz) {
  await mkdir(dir, { recursive: true });
  const keep = new Set(ids);
  const lines = [week.header];
  for (const id of ids) lines.push(...(week.byVehicle.get(id) ?? []));
  await writeFile(join(dir, 'points.csv.gz'), gzipSync(lines.join('\n') + '\n'));
  await writeFile(join(dir, 'truth.csv'), [week.truthHead, ...week.truth.filter((t) => keep.has(t.vehicleId)).map((t) => t.line)].join('\n') + '\n');
  await writeFile(join(dir, 'city.json'), JSON.stringify({ tz }) + '\n');
  return dir;
}

/**
 * Runs the real rows. `experiment(sources, targetDir, outDir)` runs one `evaluate --experiment`
 * (sources: [{ points, labels }]) and resolves to its experiment.json; `source(seed)` gives a
 * simulated source folder.
 */
export async function realRows({ devWeek, work, source, experiment, tz = 'America/Los_Angeles' }) {
  if (!existsSync(join(devWeek, 'points.csv.gz'))) return null;
  const week = await readWeek(devWeek);
  const ids = (s) => week.truth.filter((t) => t.stratum === s).map((t) => t.vehicleId);
  const targets = [];
  const all = week.truth.map((t) => t.vehicleId);
  targets.push({ name: 'dev week as it is', dir: await writeSubset(week, all, join(work, 'week'), tz), sourceSeed: 1, kind: 'pool' });
  targets.push({ name: 'dev week as it is (source seed 3)', dir: join(work, 'week'), sourceSeed: 3, kind: 'pool' });
  for (let d = 0; d < DRAWS; d++) {
    const rnd = rng(1000 + d);
    const chosen = [...ids('private'), ...STRATA.flatMap((s) => take(ids(s), PER_STRATUM, rnd))];
    targets.push({ name: `realistic share, draw ${d + 1}`, dir: await writeSubset(week, chosen, join(work, `draw${d + 1}`), tz), sourceSeed: 1, kind: 'draw' });
  }
  // halves: each stratum dealt alternately after a seeded shuffle
  const rnd = rng(2024);
  const halves = [[], []];
  for (const s of ['private', ...STRATA]) take(ids(s), Infinity, rnd).forEach((id, i) => halves[i % 2].push(id));
  for (const h of [0, 1]) {
    const tgt = await writeSubset(week, halves[h], join(work, `half${h + 1}`), tz);
    const lab = await writeSubset(week, halves[1 - h], join(work, `half${h + 1}-source`), tz);
    targets.push({ name: `half ${h + 1}, simulated source`, dir: tgt, sourceSeed: 1, kind: 'half' });
    targets.push({ name: `half ${h + 1}, simulated + other half labelled`, dir: tgt, sourceSeed: 1, kind: 'half+real', real: { points: join(lab, 'points.csv.gz'), labels: join(lab, 'truth.csv') } });
  }
  const results = [];
  for (const [i, t] of targets.entries()) {
    const src = await source(t.sourceSeed);
    const sources = [{ points: join(src, 'points.csv.gz'), labels: join(src, 'labels.csv') }, ...(t.real ? [t.real] : [])];
    const exp = await experiment(sources, t.dir, join(work, 'results', String(i)));
    results.push({ ...t, exp });
  }
  return results;
}

const pct = (v) => (Number.isFinite(v) ? (100 * v).toFixed(1) : 'n/a');

/** Markdown: F1 (P / R) [AUC] per method with CoTrans's recall per stratum, then every method's recall per stratum, then the summary lines. */
export function realTable(results) {
  const methods = ['source-only', 'CNN on', 'CoTrans', 'supervised'];
  const head = ['source-only RF (stage 1)', 'CNN on stage-1 seeds', '**CoTrans**', 'supervised upper bound'];
  const cell = (rep) => `${pct(rep.f1)} (${pct(rep.precision)} / ${pct(rep.recall)}) [${pct(rep.rocAuc)}]`;
  const row = (exp, prefix) => exp.rows.find((r) => r.method.startsWith(prefix));
  const lines = [`| real target (vehicles, shared) | ${head.join(' | ')} | CoTrans recall: taxi-full / taxi-part / moonlight | false alarms (private) |`, `|---|${head.map(() => '---').join('|')}|---|---|`];
  // a method's recall per shared stratum, and its false alarms among the private cars
  const recalls = (m) => ['taxi-full', 'taxi-part', 'moonlight'].map((k) => (m.perStratum?.[k] ? pct(m.perStratum[k].recall) : 'n/a')).join(' / ');
  const falseAlarms = (m) => {
    const p = m.perStratum?.private;
    return p ? { k: Math.round((1 - p.recall) * p.n), n: p.n } : null;
  };
  for (const r of results) {
    const co = row(r.exp, 'CoTrans');
    const fa = falseAlarms(co);
    const cells = methods.map((m) => (m === 'CoTrans' ? `**${cell(row(r.exp, m).report)}**` : cell(row(r.exp, m).report)));
    lines.push(`| ${r.name} (${r.exp.vehicles}, ${pct(r.exp.sharedShare)}%) | ${cells.join(' | ')} | ${recalls(co)} | ${fa ? `${fa.k} of ${fa.n}` : 'n/a'} |`);
  }
  const mean = (rs, f) => (rs.length ? pct(rs.reduce((a, r) => a + f(r), 0) / rs.length) : 'n/a');
  const draws = results.filter((r) => r.kind === 'draw');
  const f1 = (r) => row(r.exp, 'CoTrans').report.f1;
  const auc = (r) => row(r.exp, 'CoTrans').report.rocAuc;
  const summary = [
    `- dev week as it is: CoTrans F1 ${results.filter((r) => r.kind === 'pool').map((r) => pct(f1(r))).join(' and ')} (sources seed 1 and 3), ROC AUC ${results.filter((r) => r.kind === 'pool').map((r) => pct(auc(r))).join(' and ')}`,
    `- realistic share (${draws.length} draws): mean CoTrans F1 ${mean(draws, f1)}, mean ROC AUC ${mean(draws, auc)}`,
    `- a small real labelled source (halves): CoTrans F1 ${mean(results.filter((r) => r.kind === 'half'), f1)} with the simulated source alone, ${mean(results.filter((r) => r.kind === 'half+real'), f1)} with the other half's labels added`,
  ];
  // every method's, so a method's misses are seen by kind of driver, not only CoTrans's
  const strata = (m) => `${recalls(m)}; ${falseAlarms(m)?.k ?? 'n/a'}`;
  const per = [
    `| real target | ${head.join(' | ')} |`,
    `|---|${head.map(() => '---').join('|')}|`,
    ...results.map((r) => `| ${r.name} | ${methods.map((m) => strata(row(r.exp, m))).join(' | ')} |`),
  ];
  const perText = `Recall per stratum, every method: taxi-full / taxi-part / moonlight; false alarms among the private cars\n${per.join('\n')}`;
  return lines.join('\n') + '\n\n' + perText + '\n\n' + summary.join('\n');
}
