// readPoints: any supported log (file or directory tree, gzip or not) as a stream of point batches
// in file order, in constant memory. Bad lines are skipped and counted (lenient) or stop the read
// with "file:line: reason" (strict). The reader's `summary` says what was read and skipped.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { GpsPoint } from '../point.js';
import { UserError, excerpt } from '@cotrans/core';
import { openChunks } from './lines.js';
import { detectFormat, geolifeUser, PARSERS, type ConcreteFormat, type LogFormat, type ParserOptions } from './formats.js';
import type { NaiveTime } from './timestamp.js';

export interface ReadOptions {
  format?: LogFormat;
  /** Stop at the first bad line with an UserError "file:line: reason" (exit 1 in the CLI). */
  strict?: boolean;
  /** How many bad-line samples the summary keeps (default 10). */
  maxSamples?: number;
  /** Points per yielded batch (default 4096). */
  batchSize?: number;
  /**
   * Bytes read (and, for gzip, inflated) at a time; default 256 KiB. Lines are parsed a chunk at a
   * time with no await in between; the result never depends on it (tests feed tiny chunks).
   */
  chunkBytes?: number;
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
  /** Lines read, including headers and blank lines: points + skipped lines + ignored. */
  lines: number;
  points: number;
  /** Lines that carry no point and are no error: headers, blank lines, GeoLife's preamble. */
  ignored: number;
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
    throw new UserError(`${path}: no such file or directory (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  if (st.isFile()) return [path];
  if (!st.isDirectory()) throw new UserError(`${path}: not a file or directory`);
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
  if (out.length === 0) throw new UserError(`${path}: no log files found (looked for .csv, .jsonl, .plt, .txt, optionally .gz)`);
  return out;
}

/** Progress is reported about every this many characters parsed (~8k lines of a canonical CSV). */
const PROGRESS_CHARS = 512 * 1024;

/** The first line of a piece that is not blank, or undefined. */
function firstNonBlankLine(text: string): string | undefined {
  for (let start = 0; start < text.length; ) {
    let nl = text.indexOf('\n', start);
    if (nl === -1) nl = text.length;
    const line = text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
    if (line.trim() !== '') return line;
    start = nl + 1;
  }
  return undefined;
}

const reasonKind = (r: string) => r.replace(/'[^']*'/g, "'…'").replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/gi, 'N').slice(0, 80);

export function readPoints(path: string, opts: ReadOptions = {}): PointReader {
  const summary: ReadSummary = { files: 0, lines: 0, points: 0, ignored: 0, skipped: 0, byReason: {}, samples: [], formats: {} };
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
    // Batches filled while a piece of text is parsed (synchronously), handed out after it.
    const full: GpsPoint[][] = [];
    for (const file of files) {
      let lineNo = 0;
      const src = await openChunks(file, { chunkBytes, linesSeen: () => lineNo });
      progress.open.set(file, src.bytesRead);
      const it = src.chunks[Symbol.asyncIterator]();
      try {
        // Peek pieces up to the first non-empty line for detection and the empty-file check; they
        // are parsed from their start after.
        const head: string[] = [];
        let first: string | undefined;
        while (first === undefined) {
          const r = await it.next();
          if (r.done) break;
          head.push(r.value);
          first = firstNonBlankLine(r.value);
        }
        const finish = () => {
          progress.open.delete(file);
          progress.completed += src.totalBytes;
        };
        const fail = (msg: string) => {
          if (single || opts.strict) throw new UserError(msg);
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
          fail(`${file}: unknown format (first line '${excerpt(first, 60)}'; expected CSV with a vehicle_id,timestamp,lat,lon header, JSONL, GeoLife .plt, Cabspotting or T-Drive; or pass --format)`);
          continue;
        }
        summary.files++;
        summary.formats[format] = (summary.formats[format] ?? 0) + 1;
        const parse = PARSERS[format](file, parserOpts);
        // Cabspotting files as distributed list fixes newest first; a cab's file (a few MB at most) is
        // read whole and turned into time order, so every reader yields each vehicle oldest first.
        const whole: GpsPoint[] | undefined = format === 'cabspotting' ? [] : undefined;
        let linesCounted = 0;
        let filePoints = 0;
        /** Parses the lines of one piece; no await in here. */
        const parsePiece = (text: string): void => {
          const n = text.length;
          let start = 0;
          try {
            while (start < n) {
              let nl = text.indexOf('\n', start);
              if (nl === -1) nl = n;
              const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
              lineNo++;
              const r = parse(text, start, end, lineNo);
              start = nl + 1;
              if (r === null) {
                summary.ignored++;
                continue;
              }
              if (typeof r === 'string') {
                if (opts.strict) throw new UserError(`${file}:${lineNo}: ${r}`);
                skip(`${file}:${lineNo}`, r);
                continue;
              }
              filePoints++;
              if (whole) whole.push(r);
              else if (batch.push(r) >= size) {
                full.push(batch);
                batch = [];
              }
            }
          } finally {
            summary.lines += lineNo - linesCounted;
            linesCounted = lineNo;
            sinceProgress += n;
          }
        };
        let failure: unknown;
        const pieces = async function* () {
          yield* head;
          for (;;) {
            const r = await it.next();
            if (r.done) return;
            yield r.value;
          }
        };
        for await (const text of pieces()) {
          try {
            parsePiece(text);
          } catch (err) {
            failure = err;
          }
          // the batches completed before a strict-mode error still go out, as line by line did
          for (const b of full) yield b;
          full.length = 0;
          if (failure !== undefined) throw failure;
          if (sinceProgress >= PROGRESS_CHARS) {
            sinceProgress = 0;
            report();
          }
        }
        if (whole) {
          if (whole.length > 1 && whole[0].ts > whole[whole.length - 1].ts) whole.reverse();
          for (const p of whole) {
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
      } finally {
        await it.return?.(undefined);
      }
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
      const it = readFiles(files, false, 512, opts.chunkBytes ?? 16 * 1024);
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
        throw new UserError(`${path}: ${streams.size} per-vehicle files are too many to merge by time (at most ${MAX_MERGE_STREAMS}); replay with --speed max, or merge them into one time-sorted CSV first`);
      }
      source = mergeByTime([...streams.values()]);
    } else source = readFiles(files, single, batchSize, opts.chunkBytes);
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
