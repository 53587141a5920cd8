import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, schemaVersion } from '@cotrans/ingest';
import { recordLabels, recordModelVersion } from '@cotrans/cotrans';
import { REVIEWS_COMPONENT, ReviewStore, startDashboard, type Dashboard } from '@cotrans/dashboard';
import { DAY, STORE_SUMMARY as SUMMARY, T0, TOKENS, makeStore, scoring, writeHeaders } from './helpers.js';

let dash: Dashboard | undefined;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const getJson = async (path: string): Promise<any> => (await fetch(new URL(path, dash!.url))).json();
const ids = (res: { rows: { vehicleId: string }[] }) => res.rows.map((r) => r.vehicleId);
afterEach(async () => {
  await dash?.close();
  dash = undefined;
});

async function until(ok: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('dashboard over the store', () => {
  it('shows the latest labels, the model version and its summary, label history, features and stored images', async () => {
    const { path, db } = makeStore();
    db.close();
    dash = await startDashboard({ storeFile: path, tokens: TOKENS, watchIntervalMs: 50 });
    const s = await getJson('api/summary');
    expect(s).toMatchObject({ total: 3, shared: 1, private: 2, stale: 1 });
    expect(s.model.current).toMatchObject({ id: '20260301T000000Z-aaaaaaaa', summary: { rounds: 4, agreement: 0.93, domainDistance: { before: 0.41, after: 0.12 } } });
    expect(s.model.vehiclesByVersion).toEqual({ '20260301T000000Z-aaaaaaaa': 3 });
    // a key feature's range, from each vehicle's latest scoring
    expect(s.featureColumns).toEqual(['active_days', 'night_share']);
    expect(ids(await getJson('api/vehicles?feature=night_share&fmin=0.2&sort=vehicle_id'))).toEqual(['car-2', 'taxi-1']);
    expect(ids(await getJson('api/vehicles?feature=night_share&fmax=0.1'))).toEqual(['car-1']);
    expect(ids(await getJson('api/vehicles?feature=night_share&fmin=0.2&fmax=0.3&label=private'))).toEqual(['car-2']);
    expect((await getJson('api/vehicles?feature=no_such_column')).total).toBe(0);
    // car-2 was last scored four days before the rest of the fleet
    expect(ids(await getJson('api/vehicles?stale=1'))).toEqual(['car-2']);
    const d = await getJson('api/vehicles/taxi-1');
    expect(d).toMatchObject({ modelVersion: '20260301T000000Z-aaaaaaaa', scoredAt: T0 + 8 * DAY, hasImage: true, images: ['2026-03-02.png', '2026-03-03.png', 'aggregate.png'], features: { night_share: 0.45, active_days: 7 } });
    // the vehicle's features against each class's percentiles over the fleet's latest scorings
    expect(d.distributions.night_share).toEqual({ value: 0.45, shared: [0.45, 0.45, 0.45, 0.45, 0.45], private: [0.05, 0.05, 0.225, 0.225, 0.225], n: { shared: 1, private: 2 } });
    expect(d.distributions.active_days.n).toEqual({ shared: 1, private: 2 });
    expect(d.labelHistory.map((h: { label: string; previous: string | null }) => [h.previous, h.label])).toEqual([[null, 'shared']]);
    const img = await fetch(new URL('images/taxi-1.png', dash.url));
    expect(img.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await img.arrayBuffer()).toString()).toBe('\x89PNG fake bytes');
    expect((await fetch(new URL('images/car-1.png', dash.url))).status).toBe(404);
    // a day's image, and none for a day or a vehicle without one
    const day = await fetch(new URL('images/taxi-1/2026-03-03.png', dash.url));
    expect(day.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await day.arrayBuffer()).toString()).toBe('\x89PNG day two');
    expect((await fetch(new URL('images/taxi-1/2026-03-09.png', dash.url))).status).toBe(404);
    expect((await fetch(new URL('images/nobody/2026-03-03.png', dash.url))).status).toBe(404);
  });

  it('picks up labels and reviews another connection commits, without a restart', async () => {
    const { path, db } = makeStore();
    dash = await startDashboard({ storeFile: path, tokens: TOKENS, watchIntervalMs: 50 });
    expect((await getJson('api/summary')).total).toBe(3);
    // a newer model re-scores car-1 as shared and a new vehicle appears
    recordModelVersion(db, { id: '20260310T000000Z-bbbbbbbb', createdAt: '2026-03-10T00:00:00.000Z', summary: { ...SUMMARY, rounds: 6 } });
    recordLabels(db, [scoring('car-1', 'shared', 0.6, '20260310T000000Z-bbbbbbbb', T0 + 9 * DAY), scoring('van-9', 'private', 0.2, '20260310T000000Z-bbbbbbbb', T0 + 9 * DAY)]);
    await until(async () => (await getJson('api/summary')).total === 4);
    const s = await getJson('api/summary');
    expect(s).toMatchObject({ shared: 2, private: 2 });
    expect(s.model.current.id).toBe('20260310T000000Z-bbbbbbbb');
    expect(s.model.current.summary.rounds).toBe(6);
    // labels from the older version are now stale
    expect(ids(await getJson('api/vehicles?stale=1&sort=vehicle_id'))).toEqual(['car-2', 'taxi-1']);
    expect(ids(await getJson('api/vehicles?flipped=1'))).toEqual(['car-1']);
    // the queue: a flipped label outranks an equally uncertain one (priority 1.4 against 1.0)
    expect(ids(await getJson('api/vehicles?reviewed=0&sort=-priority'))).toEqual(['car-1', 'car-2', 'van-9', 'taxi-1']);
    const h = (await getJson('api/vehicles/car-1')).labelHistory;
    expect(h.map((x: { label: string; modelVersion: string }) => `${x.label}@${x.modelVersion.slice(-8)}`)).toEqual(['private@aaaaaaaa', 'shared@bbbbbbbb']);

    // a verdict written by another dashboard process into the same store (its page was cached before)
    expect((await getJson('api/vehicles/van-9')).review).toBeNull();
    const other = new ReviewStore(db);
    other.add({ vehicleId: 'van-9', verdict: 'shared', note: 'seen at a depot', reviewer: 'bo', at: Date.now() });
    await until(async () => (await getJson('api/summary')).reviewed === 1);
    expect(ids(await getJson('api/vehicles?reviewed=1'))).toEqual(['van-9']);
    expect((await getJson('api/vehicles/van-9')).review).toMatchObject({ verdict: 'shared', reviewer: 'bo' });
    db.close();
  });

  it('writes reviews into the store under its own schema version, with the token\'s reviewer', async () => {
    const { path, db } = makeStore();
    dash = await startDashboard({ storeFile: path, tokens: TOKENS, watchIntervalMs: 50 });
    expect((await getJson('api/vehicles/car-2')).history).toEqual([]);
    const r = await fetch(new URL('api/vehicles/car-2/review', dash.url), { method: 'POST', headers: writeHeaders(TOKENS[1].token), body: JSON.stringify({ verdict: 'shared', note: 'two drivers' }) });
    expect(r.status).toBe(201);
    expect(schemaVersion(db, REVIEWS_COMPONENT)).toBe(1);
    expect(db.prepare('SELECT vehicle_id, verdict, reviewer, note FROM reviews').all()).toEqual([{ vehicle_id: 'car-2', verdict: 'shared', reviewer: 'bo', note: 'two drivers' }]);
    expect((await getJson('api/summary')).reviewed).toBe(1);
    expect((await getJson('api/vehicles/car-2')).history.map((h: { reviewer: string }) => h.reviewer)).toEqual(['bo']);
    db.close();
  });

  it('refuses a missing store and a database without labels, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cotrans-dash-store-'));
    await expect(startDashboard({ storeFile: join(dir, 'none.sqlite') })).rejects.toThrow(/none\.sqlite.*no such store database/);
    const empty = join(dir, 'empty.sqlite');
    openStore(empty).close();
    await expect(startDashboard({ storeFile: empty })).rejects.toThrow(/empty\.sqlite.*holds no cotrans\.labels tables/);
    const junk = join(dir, 'junk.sqlite');
    writeFileSync(junk, 'not a database at all, just some text that is long enough');
    await expect(startDashboard({ storeFile: junk })).rejects.toThrow(/junk\.sqlite.*not a SQLite database/);
  });
});
