import type { Command, ParsedArgs } from '../kit.js';
import { UserError, bool, num, str } from '../kit.js';
import { progress } from '../progress.js';

// Library option names -> the CLI option that sets them, so errors name what the user typed.
const OPTION_NAMES: Record<string, string> = {
  preset: '--preset', vehicles: '--vehicles', days: '--days', intervalS: '--interval', sharedShare: '--shared-share',
  seed: '--seed', start: '--start', out: '--out', mix: '--mix',
};

export const command: Command = {
  name: 'simulate',
  summary: 'generate a seeded fleet (points, labels, city) for a source or target domain',
  usage: 'cotrans simulate --preset source|target (--out DIR | --to-kafka) [--vehicles N] [--days 7] [--interval S] [--shared-share F] [--mix K=F,...] [--seed S]',
  options: {
    preset: { type: 'string', arg: 'source|target', help: 'domain: source (city A, 60 s, labeled, mostly full-time shared vs private) or target (city B, 15 s, 10,000 cars)' },
    vehicles: { type: 'string', arg: 'N', help: "number of vehicles (default: the preset's, 500 source / 10000 target)" },
    days: { type: 'string', arg: 'N', help: 'simulated days', default: '7' },
    interval: { type: 'string', arg: 'SECONDS', help: "device sampling interval while the ignition is on (default: the preset's, 60 / 15)" },
    'shared-share': { type: 'string', arg: 'F', help: "share of shared vehicles in [0, 1] (default: the preset's, 0.35 / 0.08)" },
    mix: { type: 'string', arg: 'K=F,...', help: "shared strata within the shared cars, e.g. full-time=0.3,part-time=0.25,moonlight=0.25,car-sharing=0.25 (normalised; default: the preset's)" },
    seed: { type: 'string', arg: 'S', help: 'seed (integer); the same options and seed give byte-identical output', default: '1' },
    start: { type: 'string', arg: 'YYYY-MM-DD', help: 'local date of the first day (a Monday by default)', default: '2026-05-04' },
    'parked-fixes': { type: 'boolean', help: 'parked cars keep sending a fix every 10 min (default: fixes only while the ignition is on)' },
    out: { type: 'string', arg: 'DIR', help: 'write DIR/points.csv.gz, DIR/labels.csv, DIR/city.json (created if missing)' },
    'to-kafka': { type: 'boolean', help: 'stream the points into Kafka instead of a file (labels.csv and city.json still go to --out if given)' },
    brokers: { type: 'string', arg: 'HOST:PORT', help: 'Kafka bootstrap servers for --to-kafka, comma separated', default: '127.0.0.1:9092' },
    topic: { type: 'string', arg: 'TOPIC', help: 'topic for --to-kafka', default: 'gps.points' },
    speed: { type: 'string', arg: 'max|FACTOR', help: "--to-kafka pacing: 'max', or event-time speed-up (3600: a simulated hour per second)", default: 'max' },
    'create-topics': { type: 'boolean', help: 'with --to-kafka: create gps.points and gps.points.dlq first if missing' },
  },
  details: `points.csv.gz has the header vehicle_id,timestamp,lat,lon,speed_kmh,heading (timestamp: epoch ms UTC,
whole seconds). Rows are in delivery order across vehicles, as a stream would deliver them: time order,
except late deliveries and retried duplicates of the device model. labels.csv is vehicle_id,label,stratum
(label shared|private; stratum private|full-time|part-time|moonlight|car-sharing), one row per vehicle that sent at
least one fix (a car parked the whole time is absent from the log, so from the labels too). city.json holds the extent (bbox),
centre, IANA time zone, road network figures, zones and every generator parameter.
Generation streams in constant memory; progress (points/s, ETA) is drawn on a TTY, JSON lines elsewhere.`,
  examples: [
    'cotrans simulate --preset source --out /tmp/source',
    'cotrans simulate --preset target --vehicles 200 --days 7 --out /tmp/target',
    'cotrans simulate --preset target --interval 30 --shared-share 0.1 --seed 7 --out /tmp/t30',
    'cotrans simulate --preset source --mix full-time=1 --shared-share 0.5 --out /tmp/taxis-vs-private',
    'cotrans simulate --preset target --vehicles 500 --to-kafka --brokers 127.0.0.1:9092 --out /tmp/target-labels',
  ],
  async run(args) {
    const opts = fleetOptions(args);
    const out = str(args, 'out');
    const toKafka = bool(args, 'to-kafka');
    if (!out && !toKafka) throw new UserError('missing required option --out (or --to-kafka)');
    const fixtures = await import('@cotrans/fixtures');
    const bar = progress('simulate', { unit: 'points' });
    const t0 = performance.now();
    const onProgress = (p: { simulatedMs: number; totalMs: number; points: number }) => {
      const frac = p.simulatedMs / p.totalMs;
      const secs = (performance.now() - t0) / 1000;
      bar.update(p.points, { simulated: `${(frac * 100).toFixed(1)}%`, eta_s: frac > 0 ? Math.round((secs / frac) * (1 - frac)) : '?' });
    };
    try {
      if (!toKafka) {
        const res = await fixtures.writeFleet({ ...opts, onProgress }, out!);
        bar.done();
        summary(res.fleet, res.points, performance.now() - t0, `to ${res.dir} (points.csv.gz, labels.csv, city.json)`);
        return 0;
      }
      const fleet = fixtures.generateFleet({ ...opts, onProgress });
      if (out) await fixtures.writeLabelsAndCity(fleet, out);
      const ingest = await loadIngestProducer();
      const brokers = str(args, 'brokers')!;
      const topic = str(args, 'topic')!;
      const speedRaw = str(args, 'speed') ?? 'max';
      const speed = speedRaw === 'max' ? 'max' : num(args, 'speed', { min: 0.001 })!;
      try {
        if (bool(args, 'create-topics')) await ingest.ensureTopics(brokers, ingest.defaultTopics(6));
        const stats = await ingest.replay(fleet.points(), { brokers, topic, speed });
        bar.done({ messages: stats.messages });
        summary(fleet, stats.points, performance.now() - t0, `to Kafka ${brokers} topic ${topic} in ${stats.messages} messages${out ? `; labels.csv and city.json to ${out}` : ''}`);
      } catch (err) {
        if ((err as Error).name?.startsWith('KafkaJS')) throw new UserError(`Kafka at ${brokers}, topic ${topic}: ${(err as Error).message} (is the broker up? cotrans kafka start)`);
        throw err;
      }
      return 0;
    } catch (err) {
      const field = err instanceof UserError ? err.where.field : undefined;
      if (field !== undefined && OPTION_NAMES[field]) throw new UserError(`invalid ${OPTION_NAMES[field]}: ${(err as Error).message}`, { option: OPTION_NAMES[field].slice(2) });
      throw err;
    }
  },
};

function fleetOptions(args: ParsedArgs) {
  const preset = str(args, 'preset', true);
  if (preset !== 'source' && preset !== 'target') throw new UserError(`invalid --preset '${preset}' (expected source or target)`);
  const start = str(args, 'start');
  if (start !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(start)) throw new UserError(`invalid --start '${start}': expected a date YYYY-MM-DD`);
  return {
    preset: preset as 'source' | 'target',
    vehicles: num(args, 'vehicles', { min: 1, max: 10_000_000, integer: true }),
    days: num(args, 'days', { min: 1, max: 366, integer: true }),
    intervalS: num(args, 'interval', { min: 1, max: 3600 }),
    sharedShare: num(args, 'shared-share', { min: 0, max: 1 }),
    seed: num(args, 'seed', { min: 0, max: 2 ** 32 - 1, integer: true }),
    start,
    ignitionOnly: !bool(args, 'parked-fixes'),
    mix: parseMix(str(args, 'mix')),
  };
}

const MIX_KEYS: Record<string, 'fullTime' | 'partTime' | 'moonlight' | 'carSharing'> = { 'full-time': 'fullTime', 'part-time': 'partTime', moonlight: 'moonlight', 'car-sharing': 'carSharing' };

/** "full-time=0.5,car-sharing=0.5" -> { fullTime: 0.5, carSharing: 0.5 }; unnamed strata get 0. */
function parseMix(raw: string | undefined) {
  if (raw === undefined) return undefined;
  const mix = { fullTime: 0, partTime: 0, moonlight: 0, carSharing: 0 };
  for (const part of raw.split(',')) {
    const [k, v, extra] = part.split('=').map((x) => x.trim());
    const key = MIX_KEYS[k];
    const share = Number(v);
    if (!key || v === undefined || v === '' || extra !== undefined) throw new UserError(`invalid --mix '${raw}': expected STRATUM=SHARE pairs with STRATUM one of ${Object.keys(MIX_KEYS).join(', ')}`);
    if (!Number.isFinite(share) || share < 0) throw new UserError(`invalid --mix '${raw}': share of ${k} must be a number >= 0`);
    mix[key] = share;
  }
  if (mix.fullTime + mix.partTime + mix.moonlight + mix.carSharing <= 0) throw new UserError(`invalid --mix '${raw}': at least one share must be positive`);
  return mix;
}

/** The ingest stage's producer (replay + topics), loaded only for --to-kafka. */
async function loadIngestProducer() {
  const ingest = await import('@cotrans/ingest');
  if (typeof ingest.replay !== 'function' || typeof ingest.ensureTopics !== 'function') {
    throw new UserError('--to-kafka needs the ingest stage producer (replay), which this build lacks; use --out and cotrans replay');
  }
  return ingest;
}

function summary(fleet: { labels: { label: string }[]; params: { days: number; intervalS: number; preset: string; seed: number } }, points: number, ms: number, where: string) {
  const shared = fleet.labels.filter((l) => l.label === 'shared').length;
  const p = fleet.params;
  process.stdout.write(
    `simulated ${fleet.labels.length} vehicles (${shared} shared) of preset ${p.preset} over ${p.days} day(s) at ${p.intervalS} s, seed ${p.seed}: ` +
      `${points} points ${where} in ${(ms / 1000).toFixed(1)} s (${Math.round(points / Math.max(0.001, ms / 1000))} points/s)\n`,
  );
}
