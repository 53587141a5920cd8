// features.csv: vehicle_id, flags, n_points, then FEATURE_COLUMNS. Flags are ';'-separated; NaN is written "NaN".
import { UserError, csvRow, excerpt, csvCells } from '@cotrans/core';
import { FEATURE_COLUMNS } from './columns.js';
import type { VehicleFeatures } from './summarise.js';

export const CSV_HEADER: readonly string[] = ['vehicle_id', 'flags', 'n_points', ...FEATURE_COLUMNS];


function fmt(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(10)));
}

export function featuresCsvHeader(): string {
  return CSV_HEADER.join(',') + '\n';
}

export function featuresCsvRow(f: VehicleFeatures): string {
  return csvRow([f.vehicleId, f.flags.join(';'), String(f.nPoints), ...f.values.map(fmt)]) + '\n';
}

export function featuresToCsv(rows: readonly VehicleFeatures[]): string {
  let s = featuresCsvHeader();
  for (const r of rows) s += featuresCsvRow(r);
  return s;
}

/** Parses a features.csv written by featuresToCsv (columns found by name; unknown extra columns ignored). */
export function parseFeaturesCsv(text: string, where = 'features.csv'): VehicleFeatures[] {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length === 0) return [];
  const head = csvCells(lines[0], where, 1);
  const idx = (name: string) => {
    const i = head.indexOf(name);
    if (i < 0) throw new UserError(`${where}:1: missing column ${name}`);
    return i;
  };
  const iId = idx('vehicle_id');
  const iFlags = head.indexOf('flags');
  const iN = head.indexOf('n_points');
  const cols = FEATURE_COLUMNS.map(idx);
  return lines.slice(1).map((line, k) => {
    const cells = csvCells(line, where, k + 2);
    if (cells.length !== head.length) throw new UserError(`${where}:${k + 2}: expected ${head.length} fields, got ${cells.length}`);
    const values = cols.map((c) => {
      const x = Number(cells[c]);
      if (Number.isNaN(x) && cells[c] !== 'NaN') throw new UserError(`${where}:${k + 2}: column ${head[c]}: not a number '${excerpt(cells[c])}'`);
      return x;
    });
    return {
      vehicleId: cells[iId],
      flags: iFlags >= 0 && cells[iFlags] ? cells[iFlags].split(';') : [],
      nPoints: iN >= 0 ? Number(cells[iN]) : NaN,
      values,
    };
  });
}
