// The model a stream scores with: a model directory, or a folder of versions with a `current`
// pointer (a symbolic link, or a file naming the version's sub-folder). A version's id is its
// folder name under a pointer; a plain directory's id is its creation time and content hash.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../kit.js';

export interface ModelRef {
  version: string;
  dir: string;
}

/** Where `--models DIR` points now. */
export function currentModel(dir: string): ModelRef {
  if (!existsSync(dir)) throw new UserError(`--models ${dir}: no such directory (write one with cotrans train)`);
  const pointer = path.join(dir, 'current');
  if (existsSync(pointer)) {
    let target: string;
    if (lstatSync(pointer).isSymbolicLink() || statSync(pointer).isDirectory()) target = realpathSync(pointer);
    else {
      const name = readFileSync(pointer, 'utf8').trim();
      if (!name || name.includes('/') || name.includes('\\') || name === '..') throw UserError.at({ file: pointer }, `names '${name.slice(0, 60)}', not a version folder of ${dir}`);
      target = path.join(dir, name);
    }
    if (!existsSync(path.join(target, 'manifest.json'))) throw UserError.at({ file: pointer }, `points at ${target}, which is not a model directory (no manifest.json)`);
    return { version: path.basename(target), dir: target };
  }
  const manifest = path.join(dir, 'manifest.json');
  if (!existsSync(manifest)) throw new UserError(`--models ${dir}: not a model directory (no manifest.json, no current pointer); create one with cotrans train`);
  const text = readFileSync(manifest);
  const created = (JSON.parse(text.toString('utf8')) as { createdAt?: string }).createdAt ?? '';
  const stamp = created.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return { version: `${stamp || 'undated'}-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`, dir };
}
