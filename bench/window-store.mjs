// npm run bench:window-store [-- VEHICLES DAYS BATCHSIZES]: points/s of SqliteWindowStore.apply on a simulated fleet, by batch size
import { generateFleet } from '../fixtures/dist/index.js';
import { SqliteWindowStore, computeFleet } from '../features/dist/index.js';
import { groupByVehicle } from '../ingest/dist/index.js';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
const vehicles = +(process.argv[2] ?? 300), days = +(process.argv[3] ?? 7);
const fleet = generateFleet({ preset: 'target', vehicles, days, seed: 9 });
const pts = [...fleet.points()].flat();
const tz = fleet.city.tz;
console.log(`${vehicles} vehicles x ${days} days: ${pts.length} points`);
{ const t0 = performance.now(); const cpu0 = process.cpuUsage(); await computeFleet([pts], { tz }); const dt = (performance.now() - t0) / 1000; const cpu = process.cpuUsage(cpu0); console.log(`computeFleet (in memory, incl. results): ${(pts.length / dt / 1e3).toFixed(0)}k points/s wall, ${(pts.length / ((cpu.user + cpu.system) / 1e6) / 1e3).toFixed(0)}k/cpu-s`); }
for (const size of (process.argv[4] ?? '100000,10000,1000').split(',').map(Number)) {
  const dir = mkdtempSync(join(tmpdir(), 'cotrans-wsbench-'));
  const file = join(dir, 'w.sqlite');
  const s = new SqliteWindowStore(file, { tz });
  let off = 0, n = 0;
  const t0 = performance.now(); const cpu0 = process.cpuUsage();
  for (let i = 0; i < pts.length; i += size) {
    const slice = pts.slice(i, i + size);
    const v = groupByVehicle(slice);
    s.apply({ topic: 't', partition: 0, firstOffset: String(off), nextOffset: String(off + v.length), vehicles: v, messages: v.length, points: slice.length, deadLetters: 0, rejectedPoints: 0 });
    off += v.length; n++;
  }
  const dt = (performance.now() - t0) / 1000; const cpu = process.cpuUsage(cpu0);
  const t1 = performance.now(); const r = s.results({ keepImages: false }); const rdt = performance.now() - t1;
  const bytes = s.snapshotBytesWritten;
  s.close();
  globalThis.gc?.(); const h0 = process.memoryUsage().heapUsed; const t2 = performance.now(); const s2 = new SqliteWindowStore(file); const odt = performance.now() - t2; globalThis.gc?.(); const heapPerVehicle = (process.memoryUsage().heapUsed - h0) / s2.vehicles; s2.close();
  console.log(`batch ${size} points (${n} batches): ${(pts.length / dt / 1e3).toFixed(0)}k points/s wall, ${(pts.length / ((cpu.user + cpu.system) / 1e6) / 1e3).toFixed(0)}k/cpu-s; snapshot JSON written ${(bytes / 1e6).toFixed(1)} MB (${(bytes / pts.length).toFixed(0)} B/point); file ${(statSync(file).size / 1e6).toFixed(1)} MB; results() ${rdt.toFixed(0)} ms for ${r.features.length} vehicles; reopen ${odt.toFixed(0)} ms, heap ${(heapPerVehicle / 1024).toFixed(1)} KB/vehicle restored`);
  rmSync(dir, { recursive: true, force: true });
}
