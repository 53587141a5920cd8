import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, openStore } from '@cotrans/ingest';
import { latestLabels } from '@cotrans/cotrans';
import { main } from '../src/main.js';

const out = mkdtempSync(join(tmpdir(), 'cotrans-demo-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const csvRows = (file: string) => readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));

describe('cotrans demo (its own Kafka broker, end to end)', () => {
  it('simulates, trains, runs `stream` on the target replayed through Kafka, classifies its windows, and scores', async () => {
    const kafkaPort = await freePort();
    const code = await main(['demo', '--out', out, '--source-vehicles', '40', '--vehicles', '30', '--days', '3', '--epochs', '2', '--kafka-port', String(kafkaPort), '--no-serve']);
    expect(code).toBe(0);
    const preds = csvRows(join(out, 'predictions.csv'));
    const truth = csvRows(join(out, 'target', 'labels.csv'));
    expect(preds.map((r) => r[0]).sort()).toEqual(truth.map((r) => r[0]).sort());
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/F1 \(shared\)/);
    expect(existsSync(join(out, 'images', preds[0][0], 'aggregate.png'))).toBe(true);
    expect(existsSync(join(out, 'kafka', 'broker.pid'))).toBe(false);
    // a reviewer's token for the dashboard, readable by its owner only
    const token = join(out, 'review-token');
    expect(readFileSync(token, 'utf8')).toMatch(/^demo:[A-Za-z0-9_-]{24}\n$/);
    expect(statSync(token).mode & 0o077).toBe(0);

    // Streaming equals batch: the windows consumed from Kafka classify exactly like the log file.
    const batch = join(out, 'batch.csv');
    expect(await main(['classify', '--models', join(out, 'models'), '--input', join(out, 'target', 'points.csv.gz'), '--out', batch])).toBe(0);
    // every column but the time of scoring (the last)
    const byId = (rows: string[][]) => new Map(rows.map((r) => [r[0], r.slice(1, -1).join(',')]));
    expect(byId(csvRows(batch))).toEqual(byId(preds));

    // the stream labelled every vehicle in the store, as the predictions file says
    const db = openStore(join(out, 'cotrans.sqlite'), { readonly: true });
    try {
      const streamed = new Map(latestLabels(db).map((l) => [l.vehicleId, l.label]));
      expect(streamed).toEqual(new Map(preds.map((r) => [r[0], r[1]])));
    } finally {
      db.close();
    }
  });

  it('classify refuses --input and --windows together, and a missing windows file', async () => {
    expect(await main(['classify', '--models', join(out, 'models'), '--input', 'a', '--windows', 'b', '--out', join(out, 'x.csv')])).toBe(1);
    expect(await main(['classify', '--models', join(out, 'models'), '--windows', join(out, 'nope.sqlite'), '--out', join(out, 'x.csv')])).toBe(1);
  });
});
