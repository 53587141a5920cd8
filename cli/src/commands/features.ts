import { writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from '../kit.js';
import { readCity, timeZoneOption } from '@cotrans/core';
import { UserError, bool, num, str } from '../kit.js';
import { progress } from '../progress.js';

function parseBbox(raw: string): [number, number, number, number] {
  const v = raw.split(',').map((s) => Number(s.trim()));
  if (v.length !== 4 || !v.every(Number.isFinite)) throw new UserError(`invalid --bbox '${raw}': expected minLon,minLat,maxLon,maxLat`);
  const [a, b, c, d] = v;
  if (a >= c || b >= d) throw new UserError(`invalid --bbox '${raw}': min must be below max (minLon,minLat,maxLon,maxLat)`);
  return [a, b, c, d];
}

export const command: Command = {
  name: 'features',
  summary: 'compute per-vehicle features and trajectory images from a GPS log',
  usage:
    'cotrans features <file|dir> --out features.csv [--format FORMAT] [--tz Area/City] [--window-days 7] [--frame vehicle|city] [--bbox minLon,minLat,maxLon,maxLat] [--image-size 24] [--images DIR]',
  positionals: { name: 'PATH', help: 'a GPS log file (.gz read transparently) or a directory tree of them', min: 1, max: 1 },
  options: {
    out: { type: 'string', arg: 'FILE', help: 'features CSV to write (required)' },
    format: { type: 'string', arg: 'FORMAT', help: 'auto | csv | jsonl | geolife | cabspotting | tdrive', default: 'auto' },
    tz: { type: 'string', arg: 'Area/City', help: "fleet time zone (IANA); default: city.json next to the input" },
    'window-days': { type: 'string', arg: 'N', help: 'window length in local days (the latest N days per vehicle)', default: '7' },
    frame: { type: 'string', arg: 'vehicle|city', help: 'image frame: centred on the most visited place, or a fixed extent', default: 'vehicle' },
    bbox: { type: 'string', arg: 'W,S,E,N', help: "extent of the 'city' frame; default: city.json next to the input, else the data's 0.1-99.9% quantiles" },
    'image-size': { type: 'string', arg: 'PX', help: 'image side: 24, 32 or 64', default: '24' },
    'cell-m': { type: 'string', arg: 'M', help: "pixel size of the 'vehicle' frame, metres", default: '1000' },
    images: { type: 'string', arg: 'DIR', help: 'write 8-bit grey PNGs: DIR/<vehicle>/<YYYY-MM-DD>.png and aggregate.png' },
    'lateness-s': { type: 'string', arg: 'S', help: 'read the file as a stream would arrive: a fix more than S seconds older than its vehicle\'s newest is dropped as late (default: each vehicle\'s fixes are put in time order)' },
    'max-speed': { type: 'string', arg: 'KMH', help: 'impossible-jump speed', default: '250' },
    'max-gap-s': { type: 'string', arg: 'S', help: 'no distance counted across a longer gap', default: '600' },
    strict: { type: 'boolean', help: 'stop at the first bad input line (exit 1) instead of skipping and counting it' },
    'naive-time': { type: 'string', arg: 'reject|utc', help: 'timestamps without a UTC offset: reject, or read as UTC', default: 'reject' },
  },
  details: `Writes one row per vehicle: vehicle_id, flags, n_points, then the columns documented in
features/README.md. Vehicles with too little data (fewer than 50 kept fixes, one active day, no
valid fix) are listed with a flag, never dropped. Cleaning (time order, duplicates, impossible
jumps, gaps) is counted and summarised on stdout with the reader's skipped lines. Each vehicle's
fixes are put in time order first, so any row order of the same file gives the same result (with
--lateness-s, as a stream would: out of order by more than that, a fix is counted as late).
Progress (points/s, ETA) is drawn on a TTY, JSON lines elsewhere.`,
  examples: [
    'cotrans features /tmp/target/points.csv.gz --out /tmp/target/features.csv',
    'cotrans features ../shared/data/real/cabspotting-week --tz America/Los_Angeles --out cab.csv --images cab-img',
    'cotrans features fleet.jsonl.gz --tz Asia/Shanghai --frame city --bbox 121.0,30.7,121.8,31.4 --image-size 32 --out f.csv --images img/',
  ],
  async run(args) {
    const ingest = await import('@cotrans/ingest');
    const features = await import('@cotrans/features');
    const input = args.positionals[0];
    const out = str(args, 'out', true);
    const format = str(args, 'format') ?? 'auto';
    if (!(ingest.LOG_FORMATS as readonly string[]).includes(format)) throw new UserError(`invalid --format '${format}' (expected ${ingest.LOG_FORMATS.join(', ')})`);
    const naive = str(args, 'naive-time') ?? 'reject';
    if (naive !== 'reject' && naive !== 'utc') throw new UserError(`invalid --naive-time '${naive}' (expected reject or utc)`);
    const frame = str(args, 'frame') ?? 'vehicle';
    if (frame !== 'vehicle' && frame !== 'city') throw new UserError(`invalid --frame '${frame}' (expected vehicle or city)`);
    const imageSize = num(args, 'image-size', { min: 4, max: 256, integer: true })!;
    const city = await readCity(input);
    const tz = str(args, 'tz') ?? city?.tz;
    if (!tz) throw new UserError(`missing --tz (the fleet's IANA time zone, e.g. Europe/Berlin); ${city ? `${city.file} names none` : `no city.json next to ${input}`}`);
    timeZoneOption(tz, 'tz');
    const imagesDir = str(args, 'images');
    const readOpts = { format: format as never, strict: bool(args, 'strict'), naiveTime: naive as 'reject' | 'utc' };

    let bbox: [number, number, number, number] | undefined;
    const bboxRaw = str(args, 'bbox');
    if (bboxRaw) bbox = parseBbox(bboxRaw);
    else if (frame === 'city' && imagesDir && city?.bbox) {
      bbox = city.bbox;
    } else if (frame === 'city' && imagesDir) {
      bbox = await features.fleetBbox(ingest.readPoints(input, readOpts));
      process.stderr.write(`features: city frame bbox from the data: ${bbox.map((x) => x.toFixed(5)).join(',')}\n`);
    }

    let bytes = 0;
    let totalBytes = 0;
    const reader = ingest.readPoints(input, {
      ...readOpts,
      onProgress: (done, total) => {
        bytes = done;
        totalBytes = total;
      },
    });
    const bar = progress('features', { unit: 'points' });
    const t0 = performance.now();
    if (imagesDir) await mkdir(imagesDir, { recursive: true });
    let pngs = 0;
    const result = await features.computeFleet(reader, {
      tz,
      frame,
      bbox,
      imageSize,
      windowDays: num(args, 'window-days', { min: 1, max: 366, integer: true }),
      imageCellM: num(args, 'cell-m', { min: 1 }),
      ...(str(args, 'lateness-s') !== undefined ? { latenessMs: num(args, 'lateness-s', { min: 0 })! * 1000 } : {}),
      maxSpeedKmh: num(args, 'max-speed', { min: 1 }),
      maxGapS: num(args, 'max-gap-s', { min: 1 }),
      images: !!imagesDir,
      keepImages: false,
      order: str(args, 'lateness-s') !== undefined ? 'arrival' : 'time',
      onProgress: (n) => {
        const frac = totalBytes ? bytes / totalBytes : 0;
        const secs = (performance.now() - t0) / 1000;
        bar.update(n, { read: `${(frac * 100).toFixed(1)}%`, eta_s: frac > 0.001 ? Math.round((secs / frac) * (1 - frac)) : '?' });
      },
      onVehicle: async (_f, img) => {
        if (img && imagesDir) pngs += (await features.writeVehiclePngs(img, imagesDir)).length;
      },
    });
    bar.done({ vehicles: result.features.length, ...ingest.summaryRecord(reader.summary) });
    if (!result.features.length) throw ingest.nothingUsable(input, reader.summary);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, features.featuresToCsv(result.features));

    const secs = (performance.now() - t0) / 1000;
    const s = reader.summary;
    const c = result.cleaning;
    const flagged = result.features.filter((f) => f.flags.length > 0);
    const lines = [
      `features: ${result.features.length} vehicle(s) -> ${out}${imagesDir ? `, ${pngs} PNG(s) -> ${imagesDir}` : ''}`,
      ...ingest.summaryLines(s),
      `in ${secs.toFixed(1)} s (${Math.round(s.points / Math.max(secs, 1e-3))} points/s)`,
      `cleaning: kept ${c.kept}, exact duplicates ${c.exactDuplicates}, near duplicates ${c.nearDuplicates}, impossible jumps ${c.jumps}, late ${c.late}, invalid ${c.invalid}, outside the ${num(args, 'window-days', { integer: true })}-day window ${c.outOfWindow}, gaps not bridged ${c.gaps}`,
      `flagged: ${flagged.length}${flagged.length ? ' (' + flagged.slice(0, 5).map((f) => `${f.vehicleId}: ${f.flags.join(';')}`).join(', ') + (flagged.length > 5 ? ', ...' : '') + ')' : ''}`,
    ];
    if (c.late > 0) lines.push(`note: ${c.late} fix(es) arrived more than --lateness-s after newer fixes of their vehicle and were dropped; raise --lateness-s, or leave it out to have each vehicle's fixes put in time order`);
    process.stdout.write(lines.join('\n') + '\n');
  },
};
