// The CNN's file format: <name>.json (config and where each weight array lies) next to
// <name>.weights.bin (every array's float32 values, one after another).
import { UserError, excerpt, readJsonObject } from '@cotrans/core';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CnnConfig } from './net.js';

export interface ParamSpec {
  name: string;
  shape: number[];
}

export interface CnnWeightsFile {
  format: 'cotrans-cnn';
  version: 1;
  config: CnnConfig;
  params: { name: string; shape: number[]; offset: number; length: number }[];
}

export async function writeWeightsFile(dir: string, name: string, config: CnnConfig, specs: readonly ParamSpec[], values: readonly Float32Array[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  let offset = 0;
  const params = specs.map((s, i) => {
    const e = { name: s.name, shape: s.shape, offset, length: values[i].length };
    offset += values[i].length;
    return e;
  });
  const bin = new Float32Array(offset);
  values.forEach((v, i) => bin.set(v, params[i].offset));
  const meta: CnnWeightsFile = { format: 'cotrans-cnn', version: 1, config, params };
  await writeFile(path.join(dir, `${name}.json`), JSON.stringify(meta, null, 1));
  await writeFile(path.join(dir, `${name}.weights.bin`), Buffer.from(bin.buffer, bin.byteOffset, bin.byteLength));
}

/** The config and weight arrays of a saved CNN; a UserError naming the file when it is not one this build reads. */
export async function readWeightsFile(dir: string, name: string): Promise<{ config: CnnConfig; values: Float32Array[] }> {
  const metaPath = path.join(dir, `${name}.json`);
  const meta = (await readJsonObject(metaPath, 'CNN description')) as unknown as CnnWeightsFile;
  if (meta.format !== 'cotrans-cnn') throw new UserError(`${metaPath}: not a cotrans CNN file`, { file: metaPath });
  if (meta.version !== 1) throw new UserError(`${metaPath}: CNN format version ${excerpt(String(meta.version))} is not supported (this build reads 1)`, { file: metaPath });
  if (!Array.isArray(meta.params) || !meta.params.every((p) => Number.isInteger(p?.offset) && Number.isInteger(p?.length) && p.offset >= 0 && p.length >= 0)) throw new UserError(`${metaPath}: params must list each weight array's offset and length`, { file: metaPath, field: 'params' });
  const binPath = path.join(dir, `${name}.weights.bin`);
  let buf: Buffer;
  try {
    buf = await readFile(binPath);
  } catch (err) {
    throw new UserError(`${binPath}: cannot read the CNN weights (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file: binPath });
  }
  const need = meta.params.reduce((m, p) => Math.max(m, p.offset + p.length), 0) * 4;
  if (buf.byteLength !== need) throw new UserError(`${binPath}: ${buf.byteLength} bytes, the CNN needs ${need} (${buf.byteLength < need ? 'truncated' : "not this model's weights"}); retrain with cotrans train`, { file: binPath });
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { config: meta.config, values: meta.params.map((p) => all.slice(p.offset, p.offset + p.length)) };
}
