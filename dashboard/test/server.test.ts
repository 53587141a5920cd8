import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPredictions, readTruth, startDashboard, type Dashboard } from '@cotrans/dashboard';
import { fixtureDir } from './helpers.js';

let dash: Dashboard | undefined;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const getJson = async (path: string): Promise<any> => (await fetch(new URL(path, dash!.url))).json();
afterEach(async () => {
  await dash?.close();
  dash = undefined;
});

async function start() {
  const f = await fixtureDir();
  dash = await startDashboard({ predictions: await readPredictions(f.predictions), truth: await readTruth(f.truth), imagesDir: f.images, reviewsDb: f.db });
  return f;
}

describe('dashboard server', () => {
  it('summarises, filters and sorts vehicles', async () => {
    await start();
    const s = await getJson('api/summary');
    expect(s).toMatchObject({ total: 5, shared: 2, private: 3, flagged: 1, disagree: 1, uncertain: 2, reviewed: 0, truthAccuracy: 0.8 });
    const shared = await getJson('api/vehicles?label=shared&sort=p_shared');
    expect(shared.rows.map((r: { vehicleId: string }) => r.vehicleId)).toEqual(['taxi-2', 'taxi-1']);
    const unc = await getJson('api/vehicles?sort=uncertainty');
    expect(unc.rows[0].vehicleId).toBe('taxi-2');
    const dis = await getJson('api/vehicles?filter=disagree');
    expect(dis.rows.map((r: { vehicleId: string }) => r.vehicleId)).toEqual(['taxi-2']);
  });

  it('stores verdicts in SQLite, keeps the history, exports CSV, and rejects bad reviews by field', async () => {
    const f = await start();
    const post = (id: string, body: unknown) =>
      fetch(new URL(`api/vehicles/${id}/review`, dash!.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('car-2', { verdict: 'private', reviewer: 'ana' })).status).toBe(201);
    expect((await post('car-2', { verdict: 'shared', reviewer: 'bo', note: 'zone parking, many drivers' })).status).toBe(201);
    const bad = await post('car-2', { verdict: 'maybe' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/field verdict/);
    expect((await post('nope', { verdict: 'shared' })).status).toBe(404);
    const notJson = await fetch(new URL('api/vehicles/car-1/review', dash!.url), { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);

    const detail = await getJson('api/vehicles/car-2');
    expect(detail.review.verdict).toBe('shared');
    expect(detail.history.map((h: { verdict: string }) => h.verdict)).toEqual(['private', 'shared']);
    const csv = await (await fetch(new URL('api/reviews.csv', dash!.url))).text();
    expect(csv).toContain('car-2,private,0.4000,shared,bo,"zone parking, many drivers",');

    await dash!.close();
    dash = undefined;
    const db = new Database(f.db, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) n FROM reviews').get()).toEqual({ n: 2 });
    db.close();
    // Verdicts survive a restart.
    dash = await startDashboard({ predictions: await readPredictions(f.predictions), reviewsDb: f.db });
    const s = await getJson('api/summary');
    expect(s.reviewed).toBe(1);
  });

  it('serves trajectory PNGs and 404s for vehicles without one', async () => {
    await start();
    const ok = await fetch(new URL('images/taxi-1.png', dash!.url));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await ok.arrayBuffer());
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    expect((await fetch(new URL('images/car-1.png', dash!.url))).status).toBe(404);
  });

  it('reports bad predictions with file:line, and unreadable ones with the path', async () => {
    const f = await fixtureDir();
    writeFileSync(join(f.dir, 'bad.csv'), 'vehicle_id,label,p_shared\nx,shared,abc\n');
    await expect(readPredictions(join(f.dir, 'bad.csv'))).rejects.toThrow(/bad\.csv:2: p_shared 'abc' is not a probability/);
    writeFileSync(join(f.dir, 'twice.csv'), 'vehicle_id,label,p_shared\nx,shared,0.9\nx,private,0.1\n');
    await expect(readPredictions(join(f.dir, 'twice.csv'))).rejects.toThrow(/twice\.csv:3: vehicle 'x' appears twice/);
    await expect(readPredictions(join(f.dir, 'missing.csv'))).rejects.toThrow(/missing\.csv: cannot read predictions \(ENOENT\)/);
  });
});
