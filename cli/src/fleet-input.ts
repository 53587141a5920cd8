// A GPS log read into features and images for a command: progress on stderr, the reading summary
// on stdout, and exit 1 when no vehicle is usable. train, classify and run read their logs here.
import type { LoadedFleet } from '@cotrans/cotrans';
import type { LogFormat } from '@cotrans/ingest';
import { progress } from './progress.js';

export async function loadInput(p: string, opts: { tz: string; format: LogFormat; imageSize?: number; name: string; label?: boolean }): Promise<LoadedFleet> {
  const learn = await import('@cotrans/cotrans');
  const ingest = await import('@cotrans/ingest');
  const bar = progress(opts.name);
  const f = await learn.loadFleet(p, { tz: opts.tz, format: opts.format, imageSize: opts.imageSize, onProgress: (n) => bar.update(n) });
  bar.done({ vehicles: f.features.length, ...ingest.summaryRecord(f.read) });
  const summary = ingest.summaryLines(f.read).join('\n');
  process.stdout.write(`${opts.label === false ? '' : `${opts.name}: `}${summary}\n`);
  if (!f.features.length) throw ingest.nothingUsable(p, f.read);
  return f;
}
