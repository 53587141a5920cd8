// readPoints: any supported log (file or directory tree, gzip or not) as a stream of point batches
// in file order, in constant memory. Bad lines are skipped and counted (lenient) or stop the read
// with "file:line: reason" (strict). The reader's `summary` says what was read and skipped.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { GpsPoint } from '../point.js';
import { InputError } from '../errors.js';
import { openLines } from './lines.js';
import { detectFormat, PARSERS, type ConcreteFormat, type LogFormat, type ParserOptions } from './formats.js';
import type { NaiveTime } from './timestamp.js';

export interface ReadOptions {
  format?: LogFormat;
  /** Stop at the first bad line with an InputError "file:line: reason" (exit 1 in the CLI). */
  strict?: boolean;
  /** How many bad-line samples the summary keeps (default 10). */
  maxSamples?: number;
  /** Points per yielded batch (default 4096). */
  batchSize?: number;
  /** Times without a UTC offset: rejected (default) or read as UTC. */
  naiveTime?: NaiveTime;
  /** "Now" for the future-timestamp check (epoch ms). */
  now?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface ReadSummary {
  files: number;
  /** Lines read, including headers and blank lines. */
  lines: number;
  points: number;
  /** Bad lines skipped (lenient mode), plus files skipped in a directory (empty, unknown format). */
  skipped: number;
  /** Skipped lines by kind of reason (numbers masked), for a quick look at what went wrong. */
  byReason: Record<string, number>;
  /** The first `maxSamples` problems as "file:line: reason". */
  samples: string[];
  /** Format of each file read. */
  formats: Partial<Record<ConcreteFormat, number>>;
}

export interface PointReader extends AsyncIterable<GpsPoint[]> {
  readonly summary: ReadSummary;
}

const EXTENSIONS = /\.(csv|jsonl|ndjson|json|plt|txt)(\.gz)?$/i;

/** The files a path stands for: itself, or the log files of a directory tree in sorted order. */
export async function listLogFiles(path: string): Promise<string[]> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    throw new InputError(`${path}: no such file or directory (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  if (st.isFile()) return [path];
  if (!st.isDirectory()) throw new InputError(`${path}: not a file or directory`);
  const out: string[] = [];
  const walk = async (dir: string) => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && EXTENSIONS.test(e.name) && !/^readme/i.test(e.name)) out.push(p);
    }
  };
  await walk(path);
  if (out.length === 0) throw new InputError(`${path}: no log files found (looked for .csv, .jsonl, .plt, .txt, optionally .gz)`);
  return out;
}

const reasonKind = (r: string) => r.replace(/'[^']*'/g, "'…'").replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/gi, 'N').slice(0, 80);

export function readPoints(path: string, opts: ReadOptions = {}): PointReader {
  const summary: ReadSummary = { files: 0, lines: 0, points: 0, skipped: 0, byReason: {}, samples: [], formats: {} };
  const maxSamples = opts.maxSamples ?? 10;
  const batchSize = opts.batchSize ?? 4096;
  const parserOpts: ParserOptions = { naiveTime: opts.naiveTime, now: opts.now ?? Date.now() };

  const skip = (where: string, reason: string) => {
    summary.skipped++;
    const k = reasonKind(reason);
    summary.byReason[k] = (summary.byReason[k] ?? 0) + 1;
    if (summary.samples.length < maxSamples) summary.samples.push(`${where}: ${reason}`);
  };

  async function* generate(): AsyncGenerator<GpsPoint[]> {
    const files = await listLogFiles(path);
    const single = files.length === 1 && files[0] === path;
    let totalBytes = 0;
    for (const f of files) totalBytes += (await stat(f)).size;
    let doneBytes = 0;
    let batch: GpsPoint[] = [];
    for (const file of files) {
      const src = await openLines(file);
      const it = src.lines[Symbol.asyncIterator]();
      // Peek the first non-empty line for detection and the empty-file check; replay it after.
      const head: string[] = [];
      let first: string | undefined;
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        head.push(r.value);
        if (r.value.trim() !== '') {
          first = r.value;
          break;
        }
      }
      const fail = (msg: string) => {
        if (single || opts.strict) throw new InputError(msg);
        skip(file, msg.slice(file.length + 2));
      };
      if (first === undefined) {
        fail(`${file}: empty file (no data lines)`);
        doneBytes += src.totalBytes;
        continue;
      }
      const format = opts.format && opts.format !== 'auto' ? opts.format : detectFormat(file, first);
      if (!format) {
        fail(`${file}: unknown format (first line '${first.slice(0, 60)}'; expected CSV with a vehicle_id,timestamp,lat,lon header, JSONL, GeoLife .plt, Cabspotting or T-Drive; or pass --format)`);
        doneBytes += src.totalBytes;
        continue;
      }
      summary.files++;
      summary.formats[format] = (summary.formats[format] ?? 0) + 1;
      const parse = PARSERS[format](file, parserOpts);
      let lineNo = 0;
      let filePoints = 0;
      let sinceProgress = 0;
      const take = (line: string): void => {
        lineNo++;
        summary.lines++;
        const r = parse(line, lineNo);
        if (r === null) return;
        if (typeof r === 'string') {
          if (opts.strict) throw new InputError(`${file}:${lineNo}: ${r}`);
          skip(`${file}:${lineNo}`, r);
          return;
        }
        filePoints++;
        batch.push(r);
      };
      for (const l of head) take(l);
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        take(r.value);
        if (batch.length >= batchSize) {
          summary.points += batch.length;
          yield batch;
          batch = [];
        }
        if (opts.onProgress && ++sinceProgress >= 8192) {
          sinceProgress = 0;
          opts.onProgress(doneBytes + src.bytesRead(), totalBytes);
        }
      }
      doneBytes += src.totalBytes;
      opts.onProgress?.(doneBytes, totalBytes);
      if (filePoints === 0 && format === 'csv' && lineNo <= 1) fail(`${file}: empty file (a header but no data lines)`);
    }
    if (batch.length) {
      summary.points += batch.length;
      yield batch;
    }
  }

  return {
    summary,
    [Symbol.asyncIterator]: () => generate(),
  };
}

/** Reads a whole log into memory (tests, small files). */
export async function readAllPoints(path: string, opts: ReadOptions = {}): Promise<{ points: GpsPoint[]; summary: ReadSummary }> {
  const reader = readPoints(path, opts);
  const points: GpsPoint[] = [];
  for await (const b of reader) for (const p of b) points.push(p);
  return { points, summary: reader.summary };
}
