// Classifying a fleet and writing what comes of it: predictions.csv (with the model version and
// the scoring time), PNG folders, and the store (labels, history, features, model version).
// classify and run end here.
import type { CoTransBag, CoTransModel, ScoredFleet } from '@cotrans/cotrans';
import type { OptionSpec } from './kit.js';

/** The output options classify and run share. */
export const OUTPUT_OPTIONS: Record<string, OptionSpec> = {
  out: { type: 'string', arg: 'FILE', help: 'predictions CSV to write: vehicle_id,label,p_shared,p_rf,p_cnn,flags,model_version,scored_at' },
  db: { type: 'string', arg: 'FILE', help: 'store (SQLite) to write labels, label history, features and the model version into; created when absent' },
  images: { type: 'string', arg: 'DIR', help: "also write each vehicle's trajectory PNGs here (for the dashboard)" },
  'db-images': { type: 'boolean', help: "also store each vehicle's PNGs in --db" },
};

export interface OutputTargets {
  out?: string;
  db?: string;
  imagesDir?: string;
  dbImages?: boolean;
}

export async function classifyAndWrite(model: CoTransModel | CoTransBag, modelVersion: string, fleet: ScoredFleet, to: OutputTargets): Promise<void> {
  const learn = await import('@cotrans/cotrans');
  if (to.imagesDir) {
    const { writeVehiclePngs } = await import('@cotrans/features');
    for (const img of fleet.images.values()) await writeVehiclePngs(img, to.imagesDir);
  }
  const rows = await model.classify(fleet.features, fleet.images);
  const scoredAt = Date.now();
  const wrote: string[] = [];
  if (to.out) {
    await learn.writePredictions(to.out, rows, { modelVersion, scoredAt });
    wrote.push(to.out);
  }
  if (to.db) {
    const { openStore } = await import('@cotrans/ingest');
    const db = openStore(to.db);
    try {
      const changes = await learn.storeScoring(db, { modelVersion, manifest: model.manifest, rows, fleet, scoredAt, images: to.dbImages });
      wrote.push(`${to.db} (${changes.length} label change(s))`);
    } finally {
      db.close();
    }
  }
  const shared = rows.filter((r) => r.shared).length;
  const flagged = rows.filter((r) => r.flags.length).length;
  process.stdout.write(`classified ${rows.length} vehicles with model version ${modelVersion}: ${shared} shared, ${rows.length - shared} private (${flagged} flagged); wrote ${wrote.join(', ')}\n`);
}
