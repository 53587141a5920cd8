#!/usr/bin/env node
// npm run bench:run [-- --vehicles 10000] [--source-vehicles 500] [--members 3] [--data DIR]
// The offline job end to end: `cotrans run` on a simulated target week (the target preset, 15 s,
// 10,000 cars by default) with the `source` preset as the labelled source, training included, into
// one store. Prints wall time and peak RSS (the child's VmHWM, read from /proc each second) against
// the targets (10 min, 4 GB on 2 cores), and F1 against the simulated truth. The fleets are
// simulated once and kept in --data (seeded, so the same options give the same bytes).
// Peer, same run: `cotrans classify` over the same log with the model just trained, i.e. the part
// of the job that is not training, to show where the time goes.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'cli/bin/cotrans.js');
if (!existsSync(join(root, 'cli/dist/main.js'))) throw new Error('cli/dist missing: build first (npx tsc -b)');

const { values: opt } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '10000' },
    'source-vehicles': { type: 'string', default: '500' },
    members: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    data: { type: 'string', default: join(tmpdir(), 'cotrans-bench-run') },
  },
});

/** Runs the CLI; resolves with wall seconds and the child's peak RSS in MB (0 where /proc is absent). */
function cli(args, quiet = true) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      if (!quiet) process.stderr.write(d);
    });
    let peakKb = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // the child has ended between two polls
      }
    }, 1000);
    child.on('exit', (code) => {
      clearInterval(poll);
      const s = (performance.now() - t0) / 1000;
      if (code !== 0) reject(new Error(`cotrans ${args[0]} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve({ s, peakMb: peakKb / 1024, out });
    });
  });
}

const fleets = join(opt.data, `fleets-${opt['source-vehicles']}-${opt.vehicles}-${opt.seed}`);
const src = join(fleets, 'source');
const tgt = join(fleets, 'target');
for (const [dir, preset, n, seed] of [[src, 'source', opt['source-vehicles'], opt.seed], [tgt, 'target', opt.vehicles, String(Number(opt.seed) + 1)]]) {
  if (existsSync(join(dir, 'labels.csv'))) continue;
  process.stderr.write(`simulating ${preset} (${n} vehicles) into ${dir}\n`);
  const r = await cli(['simulate', '--preset', preset, '--vehicles', n, '--seed', seed, '--out', dir]);
  process.stderr.write(`  ${r.s.toFixed(0)} s\n`);
}
const work = join(opt.data, `work-${process.pid}`);
await mkdir(work, { recursive: true });
try {
  process.stderr.write(`cotrans run: ${opt.vehicles} target vehicles, members ${opt.members}\n`);
  const run = await cli(['run', '--input', join(tgt, 'points.csv.gz'), '--source', join(src, 'points.csv.gz'), '--source-labels', join(src, 'labels.csv'), '--models', join(work, 'models'), '--db', join(work, 'cotrans.sqlite'), '--out', join(work, 'predictions.csv'), '--members', opt.members], false);
  const peer = await cli(['classify', '--input', join(tgt, 'points.csv.gz'), '--models', join(work, 'models'), '--out', join(work, 'classify.csv')]);
  const ev = await cli(['evaluate', '--pred', join(work, 'predictions.csv'), '--truth', join(tgt, 'labels.csv')]);
  const f1 = /\| F1 \(shared\) \| ([\d.]+)%/.exec(ev.out)?.[1] ?? 'n/a';
  const rows = [
    ['`cotrans run`, training included', `${(run.s / 60).toFixed(1)} min`, `${(run.peakMb / 1024).toFixed(2)} GB`, 'under 10 min, under 4 GB'],
    ['peer: `cotrans classify` of the same log (no training)', `${(peer.s / 60).toFixed(1)} min`, `${(peer.peakMb / 1024).toFixed(2)} GB`, ''],
  ];
  console.log(`\nbench:run: ${opt.vehicles} target vehicles (target preset, 15 s), source ${opt['source-vehicles']} vehicles, members ${opt.members}\n`);
  console.log('| job | wall | peak RSS | target |\n|---|---:|---:|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\nF1 of shared against the simulated truth: ${f1}; training is ${((100 * (run.s - peer.s)) / run.s).toFixed(0)}% of the job's wall time`);
} finally {
  await rm(work, { recursive: true, force: true });
}
