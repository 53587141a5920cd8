// readPoints: any supported log (file or directory tree, gzip or not) as a stream of point batches
// in file order, in constant memory. Bad lines are skipped and counted (lenient) or stop the read
// with "file:line: reason" (strict). The reader's `summary` says what was read and skipped.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { GpsPoint } from '../point.js';
import { InputError } from '../errors.js';
import { openLines } from './lines.js';
import { detectFormat, geolifeUser, PARSERS, type ConcreteFormat, type LogFormat, type ParserOptions } from './formats.js';
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
  /**
   * 'file' (default): file order. 'time': the files of a directory are merged by timestamp (each
   * vehicle's files read in name order as one stream; GeoLife: one stream per user), as paced replay
   * needs for per-vehicle files such as Cabspotting. Each stream is assumed to be in time order.
   */
  order?: 'file' | 'time';
}

/** Most streams a time-ordered merge keeps open at once. */
export const MAX_MERGE_STREAMS = 4000;

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

  const progress = { completed: 0, total: 0, open: new Map<string, () => number>() };
  let sinceProgress = 0;
  const report = () => {
    if (!opts.onProgress) return;
    let partial = 0;
    for (const f of progress.open.values()) partial += f();
    opts.onProgress(progress.completed + partial, progress.total);
  };

  /** The points of some files in file order, in batches of `size`. */
  async function* readFiles(files: string[], single: boolean, size: number, chunkBytes?: number): AsyncGenerator<GpsPoint[]> {
    let batch: GpsPoint[] = [];
    for (const file of files) {
      const src = await openLines(file, { chunkBytes });
      progress.open.set(file, src.bytesRead);
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
      const finish = () => {
        progress.open.delete(file);
        progress.completed += src.totalBytes;
      };
      const fail = (msg: string) => {
        if (single || opts.strict) throw new InputError(msg);
        skip(file, msg.slice(file.length + 2));
      };
      if (first === undefined) {
        finish();
        fail(`${file}: empty file (no data lines)`);
        continue;
      }
      const format = opts.format && opts.format !== 'auto' ? opts.format : detectFormat(file, first);
      if (!format) {
        finish();
        fail(`${file}: unknown format (first line '${first.slice(0, 60)}'; expected CSV with a vehicle_id,timestamp,lat,lon header, JSONL, GeoLife .plt, Cabspotting or T-Drive; or pass --format)`);
        continue;
      }
      summary.files++;
      summary.formats[format] = (summary.formats[format] ?? 0) + 1;
      const parse = PARSERS[format](file, parserOpts);
      let lineNo = 0;
      let filePoints = 0;
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
        (whole ?? batch).push(r);
      };
      // Cabspotting files as distributed list fixes newest first; a cab's file (a few MB at most) is
      // read whole and turned into time order, so every reader yields each vehicle oldest first.
      let whole: GpsPoint[] | undefined = format === 'cabspotting' ? [] : undefined;
      for (const l of head) take(l);
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        take(r.value);
        if (batch.length >= size) {
          yield batch;
          batch = [];
        }
        if (++sinceProgress >= 8192) {
          sinceProgress = 0;
          report();
        }
      }
      if (whole) {
        if (whole.length > 1 && whole[0].ts > whole[whole.length - 1].ts) whole.reverse();
        const all = whole;
        whole = undefined;
        for (const p of all) {
          batch.push(p);
          if (batch.length >= size) {
            yield batch;
            batch = [];
          }
        }
      }
      finish();
      report();
      if (filePoints === 0 && format === 'csv' && lineNo <= 1) fail(`${file}: empty file (a header but no data lines)`);
    }
    if (batch.length) yield batch;
  }

  /** K-way merge of time-ordered streams by timestamp (a binary heap of stream heads). */
  async function* mergeByTime(streams: string[][]): AsyncGenerator<GpsPoint[]> {
    type Head = { it: AsyncGenerator<GpsPoint[]>; batch: GpsPoint[]; i: number };
    const heap: Head[] = [];
    const less = (a: Head, b: Head) => a.batch[a.i].ts < b.batch[b.i].ts;
    const up = (k: number) => {
      while (k > 0) {
        const p = (k - 1) >> 1;
        if (!less(heap[k], heap[p])) break;
        [heap[k], heap[p]] = [heap[p], heap[k]];
        k = p;
      }
    };
    const down = (k: number) => {
      for (;;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < heap.length && less(heap[l], heap[m])) m = l;
        if (r < heap.length && less(heap[r], heap[m])) m = r;
        if (m === k) return;
        [heap[k], heap[m]] = [heap[m], heap[k]];
        k = m;
      }
    };
    for (const files of streams) {
      const it = readFiles(files, false, 512, 16 * 1024);
      const r = await it.next();
      if (!r.done) {
        heap.push({ it, batch: r.value, i: 0 });
        up(heap.length - 1);
      }
    }
    let out: GpsPoint[] = [];
    while (heap.length) {
      const h = heap[0];
      out.push(h.batch[h.i++]);
      if (h.i >= h.batch.length) {
        const r = await h.it.next();
        if (r.done) {
          const last = heap.pop()!;
          if (heap.length && last !== h) heap[0] = last;
          if (heap.length) down(0);
        } else {
          h.batch = r.value;
          h.i = 0;
          down(0);
        }
      } else down(0);
      if (out.length >= batchSize) {
        yield out;
        out = [];
      }
    }
    if (out.length) yield out;
  }

  async function* generate(): AsyncGenerator<GpsPoint[]> {
    const files = await listLogFiles(path);
    const single = files.length === 1 && files[0] === path;
    for (const f of files) progress.total += (await stat(f)).size;
    let source: AsyncGenerator<GpsPoint[]>;
    if (opts.order === 'time' && files.length > 1) {
      const streams = new Map<string, string[]>();
      for (const f of files) {
        const key = /\.plt(\.gz)?$/i.test(f) ? `geolife:${geolifeUser(f)}` : f;
        let g = streams.get(key);
        if (!g) streams.set(key, (g = []));
        g.push(f);
      }
      if (streams.size > MAX_MERGE_STREAMS) {
        throw new InputError(`${path}: ${streams.size} per-vehicle files are too many to merge by time (at most ${MAX_MERGE_STREAMS}); replay with --speed max, or merge them into one time-sorted CSV first`);
      }
      source = mergeByTime([...streams.values()]);
    } else source = readFiles(files, single, batchSize);
    for await (const b of source) {
      summary.points += b.length;
      yield b;
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
