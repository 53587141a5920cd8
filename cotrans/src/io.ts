// File edges of the learning stage: labels and predictions CSVs, data hashes, and a GPS log turned
// into features + images (ingest -> features). Errors carry exitCode 1 and name file and line.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readPoints, listLogFiles, type LogFormat } from '@cotrans/ingest';
import { computeFleet, type FleetResult } from '@cotrans/features';

export function userError(message: string): Error & { exitCode: 1 } {
  return Object.assign(new Error(message), { exitCode: 1 as const });
}

export interface LabelRow {
  vehicleId: string;
  shared: boolean;
  stratum?: string;
}

function splitCsvLine(line: string): string[] {
  return line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
}

/** labels.csv: vehicle_id,label[,stratum]; label shared|private (also 1/0, true/false). */
export async function readLabels(file: string): Promise<LabelRow[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw userError(`${file}: cannot read labels (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.toLowerCase());
  const iId = header.indexOf('vehicle_id');
  const iLabel = header.indexOf('label');
  const iStratum = header.indexOf('stratum');
  if (iId < 0 || iLabel < 0) throw userError(`${file}:1: header must name vehicle_id and label (got '${lines[0] ?? ''}')`);
  const out: LabelRow[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    const c = splitCsvLine(lines[i]);
    const id = c[iId];
    const raw = (c[iLabel] ?? '').toLowerCase();
    if (!id) throw userError(`${file}:${i + 1}: empty vehicle_id`);
    let shared: boolean;
    if (raw === 'shared' || raw === '1' || raw === 'true') shared = true;
    else if (raw === 'private' || raw === '0' || raw === 'false') shared = false;
    else throw userError(`${file}:${i + 1}: label '${c[iLabel] ?? ''}' is not shared or private`);
    if (seen.has(id)) throw userError(`${file}:${i + 1}: vehicle '${id}' is labeled twice`);
    seen.add(id);
    out.push({ vehicleId: id, shared, ...(iStratum >= 0 && c[iStratum] ? { stratum: c[iStratum] } : {}) });
  }
  if (!out.length) throw userError(`${file}: no labels`);
  return out;
}

export interface PredictionRow {
  vehicleId: string;
  shared: boolean;
  pShared: number;
  pRf: number;
  pCnn: number;
  flags: string[];
}

export const PREDICTIONS_HEADER = 'vehicle_id,label,p_shared,p_rf,p_cnn,flags';

const f4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : '');

export function predictionsCsv(rows: PredictionRow[]): string {
  return PREDICTIONS_HEADER + '\n' + rows.map((r) => `${r.vehicleId},${r.shared ? 'shared' : 'private'},${f4(r.pShared)},${f4(r.pRf)},${f4(r.pCnn)},${r.flags.join(';')}\n`).join('');
}

export async function writePredictions(file: string, rows: PredictionRow[]): Promise<void> {
  await writeFile(file, predictionsCsv(rows));
}

export async function readPredictions(file: string): Promise<PredictionRow[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw userError(`${file}: cannot read predictions (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  const lines = text.split(/\r?\n/);
  const h = splitCsvLine(lines[0] ?? '').map((x) => x.toLowerCase());
  const ix = (n: string) => h.indexOf(n);
  if (ix('vehicle_id') < 0 || ix('label') < 0) throw userError(`${file}:1: header must name vehicle_id and label`);
  const num = (c: string[], n: string) => (ix(n) >= 0 && c[ix(n)] !== '' && c[ix(n)] !== undefined ? Number(c[ix(n)]) : NaN);
  const out: PredictionRow[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    const c = splitCsvLine(lines[i]);
    const id = c[ix('vehicle_id')];
    if (!id) throw userError(`${file}:${i + 1}: empty vehicle_id`);
    if (seen.has(id)) throw userError(`${file}:${i + 1}: vehicle '${id}' appears twice`);
    seen.add(id);
    const label = c[ix('label')];
    if (label !== 'shared' && label !== 'private') throw userError(`${file}:${i + 1}: label '${label}' is not shared or private`);
    const p = num(c, 'p_shared');
    if (ix('p_shared') >= 0 && !(p >= 0 && p <= 1)) throw userError(`${file}:${i + 1}: p_shared '${c[ix('p_shared')]}' is not a probability`);
    out.push({ vehicleId: id, shared: label === 'shared', pShared: p, pRf: num(c, 'p_rf'), pCnn: num(c, 'p_cnn'), flags: ix('flags') >= 0 && c[ix('flags')] ? c[ix('flags')].split(';') : [] });
  }
  return out;
}

/** sha256 over a file, or over a directory's log files (names and contents) in sorted order. */
export async function hashInput(p: string): Promise<string> {
  const files = await listLogFiles(p).catch(() => [p]);
  const h = createHash('sha256');
  for (const f of files) {
    h.update(path.relative(p, f) + '\0');
    await new Promise<void>((resolve, reject) => {
      createReadStream(f).on('data', (d) => h.update(d)).on('end', resolve).on('error', reject);
    });
  }
  return h.digest('hex');
}

/** The fleet's time zone from --tz, else from a city.json next to the points (written by simulate). */
export async function resolveTz(pointsPath: string, tz: string | undefined, option = '--tz'): Promise<string> {
  if (tz) return tz;
  const dir = existsSync(pointsPath) && !pointsPath.match(/\.(csv|jsonl|gz|plt|txt)$/i) ? pointsPath : path.dirname(pointsPath);
  const city = path.join(dir, 'city.json');
  if (existsSync(city)) {
    const j = JSON.parse(await readFile(city, 'utf8')) as { tz?: string };
    if (j.tz) return j.tz;
  }
  throw userError(`${pointsPath}: time zone unknown; give ${option} (IANA name, e.g. Asia/Shanghai) or put a city.json with "tz" next to it`);
}

export interface LoadedFleet extends FleetResult {
  path: string;
  tz: string;
  skippedLines: number;
}

/** GPS log -> per-vehicle features and images. */
export async function loadFleet(
  pointsPath: string,
  opts: { tz: string; format?: LogFormat; imageSize?: number; onProgress?: (points: number) => void },
): Promise<LoadedFleet> {
  const reader = readPoints(pointsPath, { format: opts.format });
  const res = await computeFleet(reader, { tz: opts.tz, imageSize: opts.imageSize, onProgress: opts.onProgress });
  return { ...res, path: pointsPath, tz: opts.tz, skippedLines: reader.summary.skipped };
}
