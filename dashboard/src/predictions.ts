import { readFileSync } from 'node:fs';

/** One row of predictions.csv as written by `cotrans classify`. */
export interface Prediction {
  vehicleId: string;
  label: 'shared' | 'private';
  pShared: number;
  pRf: number | null;
  pCnn: number | null;
  flags: string[];
  /** Optional evaluation truth joined in by the server when a labels file is given. */
  truth?: string;
  stratum?: string;
}

export class PredictionsError extends Error {
  readonly exitCode = 1;
}

function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur); cur = ''; }
    else cur += c;
  }
  out.push(cur);
  return out;
}

const prob = (raw: string | undefined, where: string, field: string, optional: boolean): number | null => {
  if (raw === undefined || raw === '') {
    if (optional) return null;
    throw new PredictionsError(`${where}: field ${field} is empty`);
  }
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new PredictionsError(`${where}: field ${field} '${raw}' is not a probability in [0, 1]`);
  return v;
};

/** Parses predictions CSV text; errors name file:line and the field. */
export function parsePredictions(text: string, file = 'predictions.csv'): Prediction[] {
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim());
  const col = (name: string) => header.indexOf(name);
  for (const need of ['vehicle_id', 'label', 'p_shared']) {
    if (col(need) < 0) throw new PredictionsError(`${file}:1: missing column '${need}' (header: ${header.join(',') || 'empty'})`);
  }
  const [iId, iLabel, iP, iRf, iCnn, iFlags] = ['vehicle_id', 'label', 'p_shared', 'p_rf', 'p_cnn', 'flags'].map(col);
  const out: Prediction[] = [];
  const seen = new Set<string>();
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n];
    if (line.trim() === '') continue;
    const where = `${file}:${n + 1}`;
    const f = splitCsvLine(line);
    const vehicleId = f[iId];
    if (!vehicleId) throw new PredictionsError(`${where}: field vehicle_id is empty`);
    if (seen.has(vehicleId)) throw new PredictionsError(`${where}: vehicle ${vehicleId} appears twice`);
    seen.add(vehicleId);
    const label = f[iLabel];
    if (label !== 'shared' && label !== 'private') throw new PredictionsError(`${where}: field label '${label}' must be shared or private`);
    out.push({
      vehicleId,
      label,
      pShared: prob(f[iP], where, 'p_shared', false)!,
      pRf: iRf >= 0 ? prob(f[iRf], where, 'p_rf', true) : null,
      pCnn: iCnn >= 0 ? prob(f[iCnn], where, 'p_cnn', true) : null,
      flags: iFlags >= 0 && f[iFlags] ? f[iFlags].split(/[;|]/).filter(Boolean) : [],
    });
  }
  return out;
}

export function readPredictions(path: string): Prediction[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PredictionsError(`cannot read predictions ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  return parsePredictions(text, path);
}

/** Reads labels.csv (vehicle_id,label[,stratum]) for showing truth next to predictions. */
export function readTruth(path: string): Map<string, { label: string; stratum?: string }> {
  const text = readFileSync(path, 'utf8');
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '');
  const iId = header.indexOf('vehicle_id');
  const iLabel = header.indexOf('label');
  const iStratum = header.indexOf('stratum');
  if (iId < 0 || iLabel < 0) throw new PredictionsError(`${path}:1: truth needs columns vehicle_id,label`);
  const out = new Map<string, { label: string; stratum?: string }>();
  for (let n = 1; n < lines.length; n++) {
    if (!lines[n].trim()) continue;
    const f = splitCsvLine(lines[n]);
    out.set(f[iId], { label: f[iLabel], ...(iStratum >= 0 ? { stratum: f[iStratum] } : {}) });
  }
  return out;
}
