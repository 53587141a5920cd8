// npm run bench:store [-- VEHICLES ROUNDS]: the learning stage's store tables at fleet size. A round
// re-scores every vehicle (a tenth change label): recordLabels rows/s against the peer, one plain
// INSERT OR REPLACE per row of the same cells in one transaction (what any labels table costs);
// then latestLabels over the fleet, labelHistory per vehicle, and polling currentVersion.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openStore } from '../ingest/dist/index.js';
import { migrateLabels, recordLabels, latestLabels, labelHistory, writeVersion, currentVersion } from '../cotrans/dist/index.js';
import { FEATURE_COLUMNS } from '../features/dist/index.js';
import { mkdir, writeFile } from 'node:fs/promises';

const vehicles = +(process.argv[2] ?? 10000), rounds = +(process.argv[3] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'cotrans-storebench-'));
const features = Object.fromEntries(FEATURE_COLUMNS.map((c, i) => [c, i * 1.5]));
const rowsOf = (round) => Array.from({ length: vehicles }, (_, i) => ({
  vehicleId: `car-${i}`, label: (i + (round > 0 && i % 10 === 0 ? round : 0)) % 2 ? 'shared' : 'private', pShared: 0.3, pRf: 0.2, pCnn: 0.4,
  modelVersion: '20261202T141500Z-3fa9c1d2', windowStart: 1.7e12, windowEnd: 1.7e12 + 6048e5, points: 5000, scoredAt: 1.7e12 + round * 9e5, flags: [], features,
}));
const db = openStore(join(dir, 'store.sqlite'));
migrateLabels(db);
let t = 0, changes = 0;
for (let r = 0; r < rounds; r++) { const rows = rowsOf(r); const t0 = performance.now(); changes += recordLabels(db, rows).length; t += performance.now() - t0; }
const ours = (vehicles * rounds) / (t / 1000);

const peer = new Database(join(dir, 'peer.sqlite'));
peer.pragma('journal_mode = WAL'); peer.pragma('synchronous = FULL');
peer.exec('CREATE TABLE l (vehicle_id TEXT PRIMARY KEY, label TEXT, p_shared REAL, p_rf REAL, p_cnn REAL, model_version TEXT, window_start INTEGER, window_end INTEGER, points INTEGER, scored_at INTEGER, flags TEXT, features TEXT)');
const put = peer.prepare('INSERT OR REPLACE INTO l VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
let tp = 0;
for (let r = 0; r < rounds; r++) { const rows = rowsOf(r); const t0 = performance.now(); peer.transaction(() => { for (const x of rows) put.run(x.vehicleId, x.label, x.pShared, x.pRf, x.pCnn, x.modelVersion, x.windowStart, x.windowEnd, x.points, x.scoredAt, JSON.stringify(x.flags), JSON.stringify(x.features)); })(); tp += performance.now() - t0; }
const theirs = (vehicles * rounds) / (tp / 1000);
console.log(`recordLabels: ${vehicles} vehicles x ${rounds} rounds, ${changes} changes: ${(ours / 1e3).toFixed(1)}k rows/s (features per scoring kept); peer (one INSERT OR REPLACE per row, latest only): ${(theirs / 1e3).toFixed(1)}k rows/s; ratio ${(ours / theirs).toFixed(2)}; file ${(statSync(join(dir, 'store.sqlite')).size / 1e6).toFixed(1)} MB`);
let t0 = performance.now(); const all = latestLabels(db); console.log(`latestLabels (all ${all.length}): ${(performance.now() - t0).toFixed(0)} ms; by label: ${(() => { const s = performance.now(); latestLabels(db, { label: 'shared' }); return (performance.now() - s).toFixed(0); })()} ms`);
t0 = performance.now(); for (let i = 0; i < 1000; i++) labelHistory(db, `car-${i * 7 % vehicles}`); console.log(`labelHistory: ${((performance.now() - t0) / 1000 * 1000).toFixed(0)} µs per vehicle`);
db.close(); peer.close();
const mdir = join(dir, 'models');
t0 = performance.now();
await writeVersion(mdir, async (into) => { await mkdir(into, { recursive: true }); await writeFile(join(into, 'manifest.json'), '{}'); await writeFile(join(into, 'weights.bin'), Buffer.alloc(8e6)); });
console.log(`writeVersion of an 8 MB model: ${(performance.now() - t0).toFixed(0)} ms (hash, rename, pointer with fsync)`);
t0 = performance.now(); for (let i = 0; i < 10000; i++) currentVersion(mdir); console.log(`currentVersion poll: ${((performance.now() - t0) / 10000 * 1000).toFixed(1)} µs`);
rmSync(dir, { recursive: true, force: true });
