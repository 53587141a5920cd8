// File edges of the learning stage: data hashes, the fleet's time zone, and a GPS log turned into
// features + images (ingest -> features); the labels and predictions CSVs are the features stage's.
import { createHash } from 'node:crypto';
import { UserError } from '@cotrans/core';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { readCity } from '@cotrans/core';
import { readPoints, listLogFiles, type GpsPoint, type LogFormat, type ReadSummary } from '@cotrans/ingest';
import { computeFleet, type FleetResult } from '@cotrans/features';

export { readLabels, readPredictions, writePredictions, predictionsCsv, PREDICTIONS_HEADER, type LabelRow, type PredictionRow, type PredictionsMeta } from '@cotrans/features';

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

/**
 * The fleet's time zone from --tz, else from a city.json next to the points (written by simulate),
 * else `fallback` when given. A city.json that is there but malformed is an error, never skipped.
 */
export async function resolveTz(pointsPath: string, tz: string | undefined, option = '--tz', fallback?: string): Promise<string> {
  if (tz) return tz;
  const city = await readCity(pointsPath);
  if (city?.tz) return city.tz;
  if (fallback) return fallback;
  throw new UserError(`${pointsPath}: time zone unknown; give ${option} (IANA name, e.g. Asia/Shanghai) or put a city.json with "tz" next to it`);
}

export interface LoadedFleet extends FleetResult {
  path: string;
  tz: string;
  skippedLines: number;
  /** What the reader read and skipped (summaryLines prints it). */
  read: ReadSummary;
  /** Each vehicle's first and last valid fix read (epoch ms): the window a scoring covers. */
  spans: Map<string, { first: number; last: number }>;
}

/** Passes batches through, noting each vehicle's first and last fix time. */
async function* noteSpans(batches: AsyncIterable<GpsPoint[]>, spans: LoadedFleet['spans']): AsyncIterable<GpsPoint[]> {
  for await (const batch of batches) {
    for (const p of batch) {
      const s = spans.get(p.vehicleId);
      if (!s) spans.set(p.vehicleId, { first: p.ts, last: p.ts });
      else if (p.ts < s.first) s.first = p.ts;
      else if (p.ts > s.last) s.last = p.ts;
    }
    yield batch;
  }
}

/** GPS log -> per-vehicle features and images. */
export async function loadFleet(
  pointsPath: string,
  opts: { tz: string; format?: LogFormat; imageSize?: number; onProgress?: (points: number) => void },
): Promise<LoadedFleet> {
  const reader = readPoints(pointsPath, { format: opts.format });
  // a file, not a stream: each vehicle's fixes in time order, whatever the order of the rows
  const spans: LoadedFleet['spans'] = new Map();
  const res = await computeFleet(noteSpans(reader, spans), { tz: opts.tz, imageSize: opts.imageSize, onProgress: opts.onProgress, order: 'time' });
  return { ...res, path: pointsPath, tz: opts.tz, skippedLines: reader.summary.skipped, read: reader.summary, spans };
}
