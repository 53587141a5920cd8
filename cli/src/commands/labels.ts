import type { Command } from '../kit.js';
import { UserError, num, str } from '../kit.js';

const LATEST_HEADER = ['vehicle_id', 'label', 'p_shared', 'p_rf', 'p_cnn', 'flags', 'model_version', 'scored_at', 'window_start', 'window_end', 'points'];

export const command: Command = {
  name: 'labels',
  summary: 'print the latest labels of a store, or one vehicle\'s label history, as CSV (read-only)',
  usage: 'cotrans labels --db FILE [--vehicle ID] [--label shared|private] [--model-version ID] [--limit N] [--out FILE]',
  options: {
    db: { type: 'string', arg: 'FILE', help: 'store written by cotrans run, classify --db or stream' },
    vehicle: { type: 'string', arg: 'ID', help: "this vehicle's label history (every change, oldest first) instead of the latest labels" },
    label: { type: 'string', arg: 'shared|private', help: 'only vehicles whose latest label is this' },
    'model-version': { type: 'string', arg: 'ID', help: 'only labels scored by this model version' },
    limit: { type: 'string', arg: 'N', help: 'at most N rows' },
    out: { type: 'string', arg: 'FILE', help: 'write the CSV here instead of stdout' },
  },
  details: `Opens the store read-only: nothing is written to it, not even a schema. Columns: ${LATEST_HEADER.join(',')}
(times in ISO 8601, UTC); with --vehicle, a column previous (the label before the change) comes first.
Exit 1 when the file is missing, is not a SQLite database, holds no labels, or comes from a newer build.`,
  examples: [
    'cotrans labels --db /tmp/cotrans.sqlite --label shared',
    'cotrans labels --db /tmp/cotrans.sqlite --vehicle car-0042',
    'cotrans labels --db /tmp/cotrans.sqlite --out /tmp/latest.csv',
  ],
  async run(args) {
    const learn = await import('@cotrans/cotrans');
    const { openStore } = await import('@cotrans/ingest');
    const { csvRow } = await import('@cotrans/core');
    const file = str(args, 'db', true);
    const label = str(args, 'label');
    if (label !== undefined && label !== 'shared' && label !== 'private') throw new UserError(`invalid --label '${label}' (expected shared, private)`);
    const vehicle = str(args, 'vehicle');
    const limit = num(args, 'limit', { integer: true, min: 1 });
    const db = openStore(file, { readonly: true });
    let text: string;
    try {
      learn.migrateLabels(db);
      const iso = (t: number) => new Date(t).toISOString();
      const f4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : '');
      const cells = (r: import('@cotrans/cotrans').LabelRecord) => [r.vehicleId, r.label, f4(r.pShared), f4(r.pRf), f4(r.pCnn), r.flags.join(';'), r.modelVersion, iso(r.scoredAt), iso(r.windowStart), iso(r.windowEnd), r.points];
      if (vehicle !== undefined) {
        const rows = learn.labelHistory(db, vehicle).slice(0, limit);
        if (!rows.length) throw new UserError(`${file}: no label of vehicle '${vehicle}'`);
        text = [csvRow(['previous', ...LATEST_HEADER]), ...rows.map((r) => csvRow([r.previous ?? '', ...cells(r)]))].join('\n');
      } else {
        const rows = learn.latestLabels(db, { label, modelVersion: str(args, 'model-version'), limit });
        text = [csvRow(LATEST_HEADER), ...rows.map((r) => csvRow(cells(r)))].join('\n');
      }
    } finally {
      db.close();
    }
    const out = str(args, 'out');
    if (out) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(out, text + '\n');
    } else process.stdout.write(text + '\n');
  },
};
