// Streams the lines of a file, gunzipping transparently (by magic bytes, not by name), in constant
// memory. Errors name the file; a truncated gzip is told apart from other failures.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { StringDecoder } from 'node:string_decoder';
import { InputError } from '../errors.js';

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

export interface LineStream {
  /** Lines without their terminator ("\n" or "\r\n"), numbered from 1 by the consumer. */
  lines: AsyncIterable<string>;
  /** Bytes of the file (compressed bytes for .gz) read so far. */
  bytesRead(): number;
  totalBytes: number;
}

export async function openLines(path: string, opts: { chunkBytes?: number } = {}): Promise<LineStream> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new InputError(`${path}: not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const gz = size >= 2 && (await isGzip(path));
  let read = 0;
  async function* lines(): AsyncGenerator<string> {
    const file = createReadStream(path, { highWaterMark: opts.chunkBytes ?? 256 * 1024 });
    file.on('data', (c) => {
      read += c.length;
    });
    const source = gz ? file.pipe(createGunzip()) : file;
    if (gz) file.on('error', (e) => source.destroy(e));
    const decoder = new StringDecoder('utf8');
    let rest = '';
    let n = 0;
    try {
      for await (const chunk of source) {
        const text = rest + decoder.write(chunk as Buffer);
        let start = 0;
        let nl: number;
        while ((nl = text.indexOf('\n', start)) !== -1) {
          const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
          n++;
          yield text.slice(start, end);
          start = nl + 1;
        }
        rest = text.slice(start);
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (gz && (e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message))) {
        throw new InputError(`${path}: truncated gzip (the compressed stream ends early, after line ${n})`);
      }
      if (gz && typeof e.code === 'string' && e.code.startsWith('Z_')) throw new InputError(`${path}: corrupt gzip (${e.message}) after line ${n}`);
      throw new InputError(`${path}: read failed (${e.code ?? e.message})`);
    } finally {
      file.destroy();
    }
    rest += decoder.end();
    if (rest.length > 0) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
  }
  return { lines: lines(), bytesRead: () => read, totalBytes: size };
}
