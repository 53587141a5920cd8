import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { currentVersion, listVersions, loadModel, resolveModelDir, useVersion, VERSION_ID, versionStamp, watchCurrentVersion, writeVersion } from '@cotrans/cotrans';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cotrans-versions-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A stand-in for a model's files: what versions.ts moves around does not depend on what they hold. */
const writer = (tag: string) => async (into: string) => {
  await mkdir(path.join(into, 'image'), { recursive: true });
  await writeFile(path.join(into, 'manifest.json'), JSON.stringify({ format: 'cotrans-models', tag }));
  await writeFile(path.join(into, 'image', 'w.bin'), tag);
};
const tagOf = (dir: string) => JSON.parse(readFileSync(path.join(resolveModelDir(dir).path, 'manifest.json'), 'utf8')).tag as string;

describe('model versions on disk', () => {
  it('writes versions beside each other, points current at the newest, and rolls back by the pointer', async () => {
    const dir = path.join(tmp, 'm');
    const a = await writeVersion(dir, writer('a'), new Date('2026-12-02T14:15:00.123Z'));
    expect(a).toMatch(/^20261202T141500Z-[0-9a-f]{8}$/);
    expect(a).toMatch(VERSION_ID);
    const b = await writeVersion(dir, writer('b'), new Date('2026-12-02T15:00:00Z'));
    expect(currentVersion(dir)).toBe(b);
    expect(tagOf(dir)).toBe('b');
    expect((await listVersions(dir)).map((v) => [v.id, v.current])).toEqual([[a, false], [b, true]]);
    await useVersion(dir, a);
    expect(currentVersion(dir)).toBe(a);
    expect(tagOf(dir)).toBe('a');
    // the same content in the same second is the same version
    expect(await writeVersion(dir, writer('a'), new Date('2026-12-02T14:15:00.999Z'))).toBe(a);
    expect(readdirSync(path.join(dir, 'versions')).sort()).toEqual([a, b]);
    expect(readdirSync(dir).sort()).toEqual(['current', 'versions']);
  });

  it('a writer that fails leaves the current version as it was and no partial behind; a dead writer\'s partial is swept', async () => {
    const dir = path.join(tmp, 'crash');
    const a = await writeVersion(dir, writer('a'));
    await expect(writeVersion(dir, async (into) => {
      await writer('b')(into);
      throw new Error('killed mid-write');
    })).rejects.toThrow('killed mid-write');
    expect(currentVersion(dir)).toBe(a);
    expect(tagOf(dir)).toBe('a');
    expect(readdirSync(path.join(dir, 'versions'))).toEqual([a]);
    // what a SIGKILLed train leaves: a partial version and a partial pointer of a pid that is gone
    mkdirSync(path.join(dir, 'versions', '.partial-999999999-0'));
    writeFileSync(path.join(dir, 'current.partial-999999999-1'), 'x');
    expect(tagOf(dir)).toBe('a');
    await writeVersion(dir, writer('c'));
    expect(readdirSync(path.join(dir, 'versions'))).toHaveLength(2);
    expect(readdirSync(dir).sort()).toEqual(['current', 'versions']);
  });

  it('a writer SIGKILLed mid-write (a real process) leaves the previous version current and loadable', async () => {
    const dir = path.join(tmp, 'killed');
    const a = await writeVersion(dir, writer('a'));
    // the child writes half a version, says so, and waits to be killed
    const script = `import { writeVersion } from '@cotrans/cotrans';
      import { mkdir, writeFile } from 'node:fs/promises';
      await writeVersion(process.argv[1], async (into) => {
        await mkdir(into, { recursive: true });
        await writeFile(into + '/manifest.json', '{"tag":"half"}');
        process.stdout.write('writing\\n');
        setInterval(() => {}, 1000);
        await new Promise(() => {});
      });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('writing') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited ${code} before writing`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    expect(readdirSync(path.join(dir, 'versions')).filter((n) => n.startsWith('.partial-'))).toHaveLength(1);
    expect(currentVersion(dir)).toBe(a);
    expect(tagOf(dir)).toBe('a');
    await writeVersion(dir, writer('b'));
    expect(readdirSync(path.join(dir, 'versions')).filter((n) => n.startsWith('.partial-'))).toHaveLength(0);
  });

  it('loads a directory written before versions as it is, and takes it into versions/ on the next write', async () => {
    const dir = path.join(tmp, 'flat');
    await writer('old')(dir);
    writeFileSync(path.join(dir, 'stage1-rf.json'), '{}');
    expect(currentVersion(dir)).toBeNull();
    expect(resolveModelDir(dir)).toEqual({ path: dir, version: null });
    const b = await writeVersion(dir, writer('new'));
    const vs = await listVersions(dir);
    expect(vs).toHaveLength(2);
    expect(vs[1]).toMatchObject({ id: b, current: true });
    expect(readdirSync(dir).sort()).toEqual(['current', 'versions']);
    await useVersion(dir, vs[0].id);
    expect(tagOf(dir)).toBe('old');
    expect(existsSync(path.join(vs[0].path, 'stage1-rf.json'))).toBe(true);
  });

  it('refuses ids and pointers that leave the model directory, and names what is missing', async () => {
    const dir = path.join(tmp, 'm');
    await expect(useVersion(dir, '../../etc')).rejects.toMatchObject({ exitCode: 1, message: "version '../../etc' is not a version id (like 20261202T141500Z-3fa9c1d2)" });
    await expect(useVersion(dir, '20991231T000000Z-00000000')).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/holds no version 20991231T000000Z-00000000/) });
    const bad = path.join(tmp, 'bad');
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'current'), '../../../../etc\n');
    expect(() => resolveModelDir(bad)).toThrow(/bad\/current: names '..\/..\/..\/..\/etc' is not a version id/);
    writeFileSync(path.join(bad, 'current'), '20991231T000000Z-00000000\n');
    expect(() => resolveModelDir(bad)).toThrow(/names version 20991231T000000Z-00000000, which versions\/ does not hold whole/);
    expect(() => resolveModelDir(path.join(tmp, 'nowhere'))).toThrow(/no such model directory/);
    mkdirSync(path.join(tmp, 'empty'));
    expect(() => currentVersion(path.join(tmp, 'empty'))).toThrow(/not a model directory/);
    // a version or a bag member linked to outside the model directory
    const linked = path.join(tmp, 'linked');
    mkdirSync(path.join(linked, 'versions'), { recursive: true });
    await writer('elsewhere')(path.join(tmp, 'elsewhere'));
    symlinkSync(path.join(tmp, 'elsewhere'), path.join(linked, 'versions', '20261202T000000Z-00000000'));
    writeFileSync(path.join(linked, 'current'), '20261202T000000Z-00000000\n');
    expect(() => resolveModelDir(linked)).toThrow(/lies outside the model directory/);
    const bag = path.join(tmp, 'bag-linked');
    mkdirSync(path.join(bag, 'members'), { recursive: true });
    writeFileSync(path.join(bag, 'manifest.json'), JSON.stringify({ format: 'cotrans-models', version: 3, members: [0] }));
    symlinkSync(path.join(tmp, 'elsewhere'), path.join(bag, 'members', '0'));
    await expect(loadModel(bag)).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/members\/0: lies outside the model directory/) });
    writeFileSync(path.join(tmp, 'afile'), '');
    await expect(writeVersion(path.join(tmp, 'afile'), writer('x'))).rejects.toThrow(/is a file, not a model directory/);
  });

  it('a manifest with "version": "3" (a string) gets a clear message through the current pointer', async () => {
    const dir = path.join(tmp, 'strver');
    await writeVersion(dir, async (into) => {
      await mkdir(into, { recursive: true });
      await writeFile(path.join(into, 'manifest.json'), JSON.stringify({ format: 'cotrans-models', version: '3' }));
    });
    await expect(loadModel(dir)).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/manifest\.json field version: must be a number, got the string '3'; retrain with cotrans train$/) });
  });

  it('watchCurrentVersion reports a new current version', async () => {
    const dir = path.join(tmp, 'watch');
    await writeVersion(dir, writer('a'));
    const seen: (string | null)[] = [];
    const w = watchCurrentVersion(dir, (id) => seen.push(id), { intervalMs: 20 });
    const b = await writeVersion(dir, writer('b'));
    await new Promise((r) => setTimeout(r, 120));
    w.stop();
    expect(seen).toEqual([b]);
    expect(versionStamp(new Date('2026-01-02T03:04:05.678Z'))).toBe('20260102T030405Z');
  });
});
