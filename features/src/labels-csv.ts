// Vehicle labels (labels.csv: vehicle_id,label[,stratum]) and predictions (predictions.csv, what
// classify writes), read by the learning stage and the dashboard alike. Errors are UserErrors
// naming file:line and the field.
import { readFile, writeFile } from 'node:fs/promises';
import { UserError, csvCells, csvRow, excerpt } from '@cotrans/core';

export interface LabelRow {
  vehicleId: string;
  shared: boolean;
  stratum?: string;
}

/** A CSV file's lines and its lower-cased header cells; a UserError naming the file when it cannot be read. */
async function readTable(file: string, what: string): Promise<{ lines: string[]; header: string[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UserError(`${file}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  const lines = text.split(/\r?\n/);
  return { lines, header: csvCells(lines[0] ?? '', file, 1, { trim: true }).map((h) => h.toLowerCase()) };
}

/** labels.csv: vehicle_id,label[,stratum]; label shared|private (also 1/0, true/false). */
export async function readLabels(file: string): Promise<LabelRow[]> {
  const { lines, header } = await readTable(file, 'labels');
  const iId = header.indexOf('vehicle_id');
  const iLabel = header.indexOf('label');
  const iStratum = header.indexOf('stratum');
  if (iId < 0 || iLabel < 0) throw new UserError(`${file}:1: header must name vehicle_id and label (got '${excerpt(lines[0] ?? '')}')`);
  const out: LabelRow[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    const c = csvCells(lines[i], file, i + 1, { trim: true });
    const id = c[iId];
    const raw = (c[iLabel] ?? '').toLowerCase();
    if (!id) throw new UserError(`${file}:${i + 1}: empty vehicle_id`);
    let shared: boolean;
    if (raw === 'shared' || raw === '1' || raw === 'true') shared = true;
    else if (raw === 'private' || raw === '0' || raw === 'false') shared = false;
    else throw new UserError(`${file}:${i + 1}: label '${excerpt(c[iLabel] ?? '')}' is not shared or private`);
    if (seen.has(id)) throw new UserError(`${file}:${i + 1}: vehicle '${excerpt(id)}' is labeled twice`);
    seen.add(id);
    out.push({ vehicleId: id, shared, ...(iStratum >= 0 && c[iStratum] ? { stratum: c[iStratum] } : {}) });
  }
  if (!out.length) throw new UserError(`${file}: no labels`);
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

/** Which model version scored the rows and when: two more columns, model_version and scored_at (ISO). */
export interface PredictionsMeta {
  modelVersion: string;
  scoredAt: number;
}

const f4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : '');

export function predictionsCsv(rows: PredictionRow[], meta?: PredictionsMeta): string {
  const extra = meta ? [meta.modelVersion, new Date(meta.scoredAt).toISOString()] : [];
  const header = PREDICTIONS_HEADER + (meta ? ',model_version,scored_at' : '');
  return header + '\n' + rows.map((r) => csvRow([r.vehicleId, r.shared ? 'shared' : 'private', f4(r.pShared), f4(r.pRf), f4(r.pCnn), r.flags.join(';'), ...extra]) + '\n').join('');
}

export async function writePredictions(file: string, rows: PredictionRow[], meta?: PredictionsMeta): Promise<void> {
  await writeFile(file, predictionsCsv(rows, meta));
}

export async function readPredictions(file: string): Promise<PredictionRow[]> {
  const { lines, header: h } = await readTable(file, 'predictions');
  const ix = (n: string) => h.indexOf(n);
  if (ix('vehicle_id') < 0 || ix('label') < 0) throw new UserError(`${file}:1: header must name vehicle_id and label`);
  const num = (c: string[], n: string) => (ix(n) >= 0 && c[ix(n)] !== '' && c[ix(n)] !== undefined ? Number(c[ix(n)]) : NaN);
  const out: PredictionRow[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    const c = csvCells(lines[i], file, i + 1, { trim: true });
    const id = c[ix('vehicle_id')];
    if (!id) throw new UserError(`${file}:${i + 1}: empty vehicle_id`);
    if (seen.has(id)) throw new UserError(`${file}:${i + 1}: vehicle '${excerpt(id)}' appears twice`);
    seen.add(id);
    const label = c[ix('label')];
    if (label !== 'shared' && label !== 'private') throw new UserError(`${file}:${i + 1}: label '${excerpt(label ?? '')}' is not shared or private`);
    const p = num(c, 'p_shared');
    if (ix('p_shared') >= 0 && !(p >= 0 && p <= 1)) throw new UserError(`${file}:${i + 1}: p_shared '${excerpt(c[ix('p_shared')] ?? '')}' is not a probability`);
    out.push({ vehicleId: id, shared: label === 'shared', pShared: p, pRf: num(c, 'p_rf'), pCnn: num(c, 'p_cnn'), flags: ix('flags') >= 0 && c[ix('flags')] ? c[ix('flags')].split(';') : [] });
  }
  return out;
}
