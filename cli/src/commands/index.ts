import type { Command } from '../kit.js';

// Commands load lazily so `cotrans --help` and light commands don't pay for tfjs or kafkajs.
export const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  demo: { summary: 'replay a simulated demo fleet, classify it and serve the dashboard', load: async () => (await import('./demo.js')).command },
  simulate: { summary: 'generate a seeded fleet (points, labels, city) for a source or target domain', load: async () => (await import('./simulate.js')).command },
  kafka: { summary: 'start, stop or inspect the local Apache Kafka broker', load: async () => (await import('./kafka.js')).command },
  replay: { summary: 'replay a GPS log (CSV, JSONL, GeoLife, Cabspotting, T-Drive) into Kafka', load: async () => (await import('./replay.js')).command },
  stream: { summary: 'classify the fleet continuously from gps.points to vehicle.labels (consumer group, changelog, metrics, model reload)', load: async () => (await import('./stream.js')).command },
  consume: { summary: 'consume gps.points into per-vehicle window state (SQLite), dead letters to gps.points.dlq', load: async () => (await import('./consume.js')).command },
  features: { summary: 'compute per-vehicle features and trajectory images from a GPS log', load: async () => (await import('./features.js')).command },
  train: { summary: 'train CoTrans (stage 1 linking + stage 2 co-training) into a model directory', load: async () => (await import('./train.js')).command },
  models: { summary: "list a model directory's versions, show one, or make one current (rollback)", load: async () => (await import('./models.js')).command },
  classify: { summary: 'label every vehicle of a GPS log with a trained model directory', load: async () => (await import('./classify.js')).command },
  run: { summary: 'the offline job: a 7-day log -> features -> (train) -> labels, history, features and model version in the store', load: async () => (await import('./run.js')).command },
  labels: { summary: "print the latest labels of a store, or one vehicle's label history, as CSV (read-only)", load: async () => (await import('./labels.js')).command },
  evaluate: { summary: 'score predictions against truth labels', load: async () => (await import('./evaluate.js')).command },
  experiment: { summary: 'run the experiment table (source-only RF, CNN on seeds, CoTrans, supervised bound) on labelled fleets', load: async () => (await import('./experiment.js')).command },
  dashboard: { summary: 'serve the label review dashboard', load: async () => (await import('./dashboard.js')).command },
};

/** Old spellings that still work: `evaluate --experiment ...` runs `experiment ...`. */
export function resolveAlias(name: string, rest: string[]): [string, string[]] {
  if (name === 'evaluate' && rest.includes('--experiment')) return ['experiment', rest.filter((a) => a !== '--experiment')];
  return [name, rest];
}
