// Immutable model versions in a model directory:
//   DIR/versions/<id>/   one model directory each (a single run or a bag), never changed once written
//   DIR/current          the id of the version classify and stream load, and a newline
// id = creation time (UTC, to the second) + the first 8 hex digits of a sha256 over the version's
// files, e.g. 20261202T141500Z-3fa9c1d2: ids sort by age, and equal content is visible in the name.
//
// `current` is a small file, not a symlink: renaming a file over another is atomic on every
// platform Node runs on, whereas symlinks need privileges on Windows, and copies of a model
// directory (cp without -P, zip, object stores) keep a file but may follow or drop a link. A
// reader gets the id in one read, which is also what makes polling it cheap.
//
// Writing a version: files go to versions/.partial-<pid>-<n>, are renamed to versions/<id>, and
// only then is `current` replaced (temp file + fsync + rename). A crash at any point leaves the
// previous current version whole and loadable. Rollback is `useVersion` (a pointer change).
// A directory written before versions (manifest.json at its top) still loads as it is, and is
// taken into versions/ the first time a new version is written into it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { cp, mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { UserError, excerpt } from '@cotrans/core';

export const VERSIONS_DIR = 'versions';
export const CURRENT_FILE = 'current';
export const VERSION_ID = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;
const PARTIAL = '.partial-';

/** `YYYYMMDDTHHMMSSZ` of a time, in UTC. */
export function versionStamp(t: Date): string {
  return t.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

async function filesOf(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(path.join(dir, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await filesOf(dir, r)));
    else out.push(r);
  }
  return out;
}

/** sha256 over a directory's files: each relative path, a NUL, its bytes, in path order. */
export async function contentHash(dir: string): Promise<string> {
  const h = createHash('sha256');
  for (const f of await filesOf(dir)) {
    h.update(`${f}\0`);
    h.update(await readFile(path.join(dir, f)));
  }
  return h.digest('hex');
}

/** The path of a version inside `dir`; an id that is not a version id (e.g. `../../etc`) is refused. */
export function versionPath(dir: string, id: string, where = 'version'): string {
  if (!VERSION_ID.test(id)) throw new UserError(`${where} '${excerpt(id)}' is not a version id (like 20261202T141500Z-3fa9c1d2)`);
  return path.join(dir, VERSIONS_DIR, id);
}

function readPointer(dir: string): string | null {
  const f = path.join(dir, CURRENT_FILE);
  let text: string;
  try {
    text = readFileSync(f, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserError(`${f}: cannot read the current version (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  const id = text.trim();
  versionPath(dir, id, `${f}: names`);
  return id;
}

/**
 * The current version's id; null for a directory written before versions (manifest.json at its
 * top). Synchronous and one small read: the way to poll for a new version.
 */
export function currentVersion(dir: string): string | null {
  const id = readPointer(dir);
  if (id !== null || existsSync(path.join(dir, 'manifest.json'))) return id;
  throw new UserError(`${dir}: not a model directory (neither ${CURRENT_FILE} nor manifest.json); create one with cotrans train`);
}

/** The directory to load for `dir`: its current version, or itself when written before versions. */
export function resolveModelDir(dir: string): { path: string; version: string | null } {
  if (!existsSync(dir)) throw new UserError(`${dir}: no such model directory; create one with cotrans train`);
  const id = currentVersion(dir);
  if (id === null) return { path: dir, version: null };
  const p = versionPath(dir, id);
  if (!existsSync(path.join(p, 'manifest.json'))) throw new UserError(`${path.join(dir, CURRENT_FILE)}: names version ${id}, which ${VERSIONS_DIR}/ does not hold whole (no manifest.json)`);
  // a version linked to somewhere outside the model directory is not one of its versions
  assertInside(path.join(dir, VERSIONS_DIR), p);
  return { path: p, version: id };
}

/** `p` (after links) must lie inside `root` (after links): model files are read from nowhere else. */
export function assertInside(root: string, p: string): void {
  if (!realpathSync(p).startsWith(realpathSync(root) + path.sep)) throw new UserError(`${p}: lies outside the model directory ${root}`);
}

/** Calls `onChange(id)` when `dir`'s current version changes (checked every `intervalMs`). */
export function watchCurrentVersion(dir: string, onChange: (id: string | null) => void, opts: { intervalMs?: number; onError?: (e: unknown) => void } = {}): { stop(): void } {
  let last: string | null | undefined;
  try {
    last = currentVersion(dir);
  } catch (e) {
    opts.onError?.(e);
  }
  const timer = setInterval(() => {
    try {
      const id = currentVersion(dir);
      if (id !== last) {
        last = id;
        onChange(id);
      }
    } catch (e) {
      opts.onError?.(e);
    }
  }, opts.intervalMs ?? 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

async function fsyncPath(p: string): Promise<void> {
  const h = await open(p, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

let partials = 0;

/** Writes `id` into `current` atomically: a temp file, fsync, rename over, fsync of the directory. */
async function pointTo(dir: string, id: string): Promise<void> {
  const tmp = path.join(dir, `${CURRENT_FILE}${PARTIAL}${process.pid}-${partials++}`);
  const h = await open(tmp, 'w');
  try {
    await h.writeFile(`${id}\n`);
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(tmp, path.join(dir, CURRENT_FILE));
  await fsyncPath(dir);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Removes what a crashed writer left (partials of processes no longer running). */
async function sweepPartials(dir: string): Promise<void> {
  for (const d of [dir, path.join(dir, VERSIONS_DIR)]) {
    if (!existsSync(d)) continue;
    for (const name of await readdir(d)) {
      const m = new RegExp(`${PARTIAL.replace('.', '\\.')}(\\d+)-`).exec(name);
      if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) await rm(path.join(d, name), { recursive: true, force: true });
    }
  }
}

/** Moves a finished partial to versions/<id> (an equal version already there is kept) and returns id. */
async function settle(dir: string, tmp: string, created: Date): Promise<string> {
  // the files reach the disk before any pointer can name them (a power loss, not only a crash)
  for (const f of await filesOf(tmp)) await fsyncPath(path.join(tmp, f));
  const id = `${versionStamp(created)}-${(await contentHash(tmp)).slice(0, 8)}`;
  const dest = versionPath(dir, id);
  if (existsSync(dest)) await rm(tmp, { recursive: true, force: true });
  else await rename(tmp, dest);
  await fsyncPath(path.join(dir, VERSIONS_DIR));
  return id;
}

/** When a directory written before versions was made: its manifest's createdAt, else the manifest's mtime. */
function createdOf(dir: string): Date {
  const mf = path.join(dir, 'manifest.json');
  try {
    const at = new Date(String((JSON.parse(readFileSync(mf, 'utf8')) as { createdAt?: unknown }).createdAt));
    if (Number.isFinite(at.getTime())) return at;
  } catch {
    // loading the manifest will name what is wrong with it
  }
  return statSync(mf).mtime;
}

/**
 * The version id of what `dir` loads: its current version, or for a directory written before
 * versions the id it will get when taken into versions/ (same time, same content hash).
 */
export async function modelVersionId(dir: string): Promise<string> {
  const { path: p, version } = resolveModelDir(dir);
  return version ?? `${versionStamp(createdOf(p))}-${(await contentHash(p)).slice(0, 8)}`;
}

/** A directory written before versions becomes a version of its own, current until the next. */
async function adoptFlat(dir: string): Promise<void> {
  const mf = path.join(dir, 'manifest.json');
  if (existsSync(path.join(dir, CURRENT_FILE)) || !existsSync(mf)) return;
  const entries = (await readdir(dir)).filter((n) => n !== VERSIONS_DIR && !n.includes(PARTIAL));
  const tmp = path.join(dir, VERSIONS_DIR, `${PARTIAL}${process.pid}-${partials++}`);
  for (const n of entries) await cp(path.join(dir, n), path.join(tmp, n), { recursive: true });
  const created = createdOf(dir);
  await pointTo(dir, await settle(dir, tmp, created));
  for (const n of entries) await rm(path.join(dir, n), { recursive: true, force: true });
}

/**
 * Writes a new version of the model directory `dir` (created when absent) with `write(into)`,
 * then makes it current. Returns its id.
 */
export async function writeVersion(dir: string, write: (into: string) => Promise<void>, created = new Date()): Promise<string> {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UserError(`${dir}: is a file, not a model directory`);
  await mkdir(path.join(dir, VERSIONS_DIR), { recursive: true });
  await sweepPartials(dir);
  await adoptFlat(dir);
  const tmp = path.join(dir, VERSIONS_DIR, `${PARTIAL}${process.pid}-${partials++}`);
  try {
    await write(tmp);
    const id = await settle(dir, tmp, created);
    await pointTo(dir, id);
    return id;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Makes an existing version current (rollback or roll forward). */
export async function useVersion(dir: string, id: string): Promise<void> {
  const p = versionPath(dir, id);
  if (!existsSync(path.join(p, 'manifest.json'))) throw new UserError(`${dir}: holds no version ${id} (see cotrans models list)`);
  await pointTo(dir, id);
}

export interface VersionEntry {
  id: string;
  path: string;
  current: boolean;
}

/** The versions in `dir`, oldest first (ids sort by creation time). */
export async function listVersions(dir: string): Promise<VersionEntry[]> {
  const cur = currentVersion(dir);
  const vdir = path.join(dir, VERSIONS_DIR);
  const ids = existsSync(vdir) ? (await readdir(vdir)).filter((n) => VERSION_ID.test(n)) : [];
  // oldest first: an id's time has whole seconds, so two versions of one second go by their manifests' times
  const at = (id: string) => {
    try {
      return createdOf(path.join(vdir, id)).getTime();
    } catch {
      return 0;
    }
  };
  const when = new Map(ids.map((id) => [id, at(id)]));
  ids.sort((a, b) => a.slice(0, 16).localeCompare(b.slice(0, 16)) || when.get(a)! - when.get(b)! || a.localeCompare(b));
  return ids.map((id) => ({ id, path: path.join(vdir, id), current: id === cur }));
}
