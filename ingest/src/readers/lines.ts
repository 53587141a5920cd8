// Streams the text of a file, gunzipping transparently (by magic bytes, not by name), in constant
// memory, as pieces that each end at a line end (the last piece may lack one). The reader splits a
// piece into lines synchronously: one await per chunk of the file, never one per line (awaiting per
// line cost two thirds of a parse). Errors name the file; a truncated gzip is told apart. A line
// longer than MAX_LINE_BYTES stops the read at once, naming file:line: a log line is a few hundred
// bytes, so such a line means the file is not a log (and collecting it would cost memory for nothing).
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { UserError } from '@cotrans/core';

/** Bytes read from the file at a time; also the gunzip output chunk (larger chunks, fewer awaits). */
export const DEFAULT_CHUNK_BYTES = 256 * 1024;
/** Longest line a reader takes (bytes, terminator excluded). */
export const MAX_LINE_BYTES = 1024 * 1024;
/** zlib's smallest output chunk. */
const MIN_GUNZIP_CHUNK = 64;

export async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

export interface ChunkStream {
  /**
   * Decoded text in pieces of whole lines: every piece but the last ends with "\n"; a leading BOM
   * is dropped. Split with `nextLineEnd`; lines are numbered from 1 by the consumer.
   */
  chunks: AsyncIterable<string>;
  /** Bytes of the file (compressed bytes for .gz) read so far. */
  bytesRead(): number;
  totalBytes: number;
}

export interface LineStream {
  /** Lines without their terminator ("\n" or "\r\n"), numbered from 1 by the consumer. */
  lines: AsyncIterable<string>;
  /** Bytes of the file (compressed bytes for .gz) read so far. */
  bytesRead(): number;
  totalBytes: number;
}

/**
 * The end of the line that starts at `start` in a piece of `chunks`: the index of its "\n" (or the
 * piece's length for a last line without one). The line's text ends one earlier after a "\r".
 */
export function nextLineEnd(text: string, start: number): number {
  const nl = text.indexOf('\n', start);
  return nl === -1 ? text.length : nl;
}

/** The end of a line's text: before the "\r" of a CRLF. */
export function lineTextEnd(text: string, start: number, nl: number): number {
  return nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
}

const NL = 0x0a;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

const countLines = (b: Buffer): number => {
  let n = 0;
  for (let i = b.indexOf(NL); i !== -1; i = b.indexOf(NL, i + 1)) n++;
  return n;
};

export interface ChunkOptions {
  chunkBytes?: number;
  /**
   * Lines the consumer has taken from the pieces so far (it splits them anyway), for the line
   * number in a read error; without it the lines are counted here.
   */
  linesSeen?: () => number;
}

export async function openChunks(path: string, opts: ChunkOptions = {}): Promise<ChunkStream> {
  let size: number;
  let gz: boolean;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new UserError(`${path}: not a file`);
    size = st.size;
    // opening the file (not only stat-ing it) is where a permission problem shows
    gz = size >= 2 && (await isGzip(path));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  // a piece never exceeds the line bound, so any longer line spans pieces and is caught below
  const chunkBytes = Math.min(MAX_LINE_BYTES, Math.max(1, Math.floor(opts.chunkBytes ?? DEFAULT_CHUNK_BYTES)));
  let read = 0;
  async function* chunks(): AsyncGenerator<string> {
    const file = createReadStream(path, { highWaterMark: chunkBytes });
    file.on('data', (c) => {
      read += c.length;
    });
    const source = gz ? file.pipe(createGunzip({ chunkSize: Math.max(MIN_GUNZIP_CHUNK, chunkBytes) })) : file;
    if (gz) file.on('error', (e) => source.destroy(e));
    // Split at the last "\n" byte of each chunk: it never falls inside a UTF-8 sequence, so each
    // piece decodes on its own into a flat string (fast to index); the bytes after it wait for the
    // next, kept as a list (one copy when the line ends, not one per chunk).
    let restParts: Buffer[] = [];
    let restLen = 0;
    let first = true;
    let n = 0; // complete lines handed out, for the truncated-gzip message
    const tooLong = (): UserError => {
      const line = (opts.linesSeen ? opts.linesSeen() : n) + 1;
      return new UserError(`${path}:${line}: line longer than ${MAX_LINE_BYTES} bytes (not a log file? a log line is a few hundred bytes)`, { file: path, line });
    };
    const takeRest = (tail?: Buffer): Buffer => {
      if (tail) restParts.push(tail);
      const b = restParts.length === 1 ? restParts[0] : Buffer.concat(restParts);
      restParts = [];
      restLen = 0;
      return b;
    };
    try {
      for await (const c of source) {
        let chunk = c as Buffer;
        if (first) {
          if (restLen) chunk = Buffer.concat([takeRest(), chunk]);
          if (chunk.length < 3 && chunk.length > 0 && BOM.subarray(0, chunk.length).equals(chunk)) {
            restParts.push(chunk); // perhaps a BOM, cut short
            restLen = chunk.length;
            continue;
          }
          first = false;
          if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
        }
        const last = chunk.lastIndexOf(NL);
        if (last === -1) {
          restParts.push(Buffer.from(chunk));
          restLen += chunk.length;
          if (restLen > MAX_LINE_BYTES) throw tooLong();
          continue;
        }
        if (restLen && restLen + chunk.indexOf(NL) > MAX_LINE_BYTES) throw tooLong();
        const whole = restLen ? takeRest(chunk.subarray(0, last + 1)) : chunk.subarray(0, last + 1);
        if (last + 1 < chunk.length) {
          restParts.push(Buffer.from(chunk.subarray(last + 1)));
          restLen = chunk.length - last - 1;
        }
        if (!opts.linesSeen) n += countLines(whole);
        yield whole.toString('utf8');
      }
    } catch (err) {
      if (err instanceof UserError) throw err;
      if (opts.linesSeen) n = opts.linesSeen();
      const e = err as NodeJS.ErrnoException;
      if (gz && (e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message))) {
        throw new UserError(`${path}: truncated gzip (the compressed stream ends early, after line ${n})`);
      }
      if (gz && typeof e.code === 'string' && e.code.startsWith('Z_')) throw new UserError(`${path}: corrupt gzip (${e.message}) after line ${n}`);
      throw new UserError(`${path}: read failed (${e.code ?? e.message})`);
    } finally {
      file.destroy();
    }
    if (restLen > 0) yield takeRest().toString('utf8');
  }
  return { chunks: chunks(), bytesRead: () => read, totalBytes: size };
}

/** The lines of a file one by one (convenience; the point readers split `openChunks` pieces themselves). */
export async function openLines(path: string, opts: { chunkBytes?: number } = {}): Promise<LineStream> {
  const src = await openChunks(path, opts);
  async function* lines(): AsyncGenerator<string> {
    for await (const text of src.chunks) {
      for (let start = 0; start < text.length; ) {
        const nl = nextLineEnd(text, start);
        yield text.slice(start, lineTextEnd(text, start, nl));
        start = nl + 1;
      }
    }
  }
  return { lines: lines(), bytesRead: src.bytesRead, totalBytes: src.totalBytes };
}
