import type { Command } from '../kit.js';
import { UserError, bool, num, str } from '../kit.js';
import { progress } from '../progress.js';
import { clusterOptions, replicationOf, securityOf } from '../kafka-options.js';

export const command: Command = {
  name: 'replay',
  summary: 'replay a GPS log (CSV, JSONL, GeoLife, Cabspotting, T-Drive) into Kafka',
  usage: 'cotrans replay <file|dir> [--format auto|csv|jsonl|geolife|cabspotting|tdrive] [--brokers host:port] [--speed max|FACTOR]',
  positionals: { name: 'PATH', help: 'a log file (.gz read transparently) or a directory tree of them', min: 1, max: 1 },
  options: {
    format: { type: 'string', arg: 'FORMAT', help: 'auto | csv | jsonl | geolife | cabspotting | tdrive', default: 'auto' },
    brokers: { type: 'string', arg: 'HOST:PORT', help: 'Kafka bootstrap servers, comma separated', default: '127.0.0.1:9092' },
    topic: { type: 'string', arg: 'TOPIC', help: 'topic to produce to', default: 'gps.points' },
    speed: { type: 'string', arg: 'max|FACTOR', help: "'max', or event-time speed-up (3600: an hour of log per second)", default: 'max' },
    'batch-points': { type: 'string', arg: 'N', help: 'most points of one vehicle in one message (1 = single-point messages)', default: '500' },
    strict: { type: 'boolean', help: 'stop at the first bad line (exit 1) instead of skipping and counting it' },
    'naive-time': { type: 'string', arg: 'reject|utc', help: 'timestamps without a UTC offset: reject, or read as UTC', default: 'reject' },
    samples: { type: 'string', arg: 'N', help: 'bad-line samples to report', default: '10' },
    'create-topics': { type: 'boolean', help: 'create gps.points and gps.points.dlq first if missing (6 partitions)' },
    ...clusterOptions,
  },
  details: `Points of a vehicle are batched into one JSON-array message keyed by the vehicle id, as devices
upload. With a --speed factor, the files of a directory are merged by timestamp (one stream per
vehicle file, or per GeoLife user) so that the whole fleet plays in event-time order. Bad lines are skipped and counted (up to --samples shown as file:line: reason); --strict stops
at the first. Progress (points/s, ETA) is drawn on a TTY, JSON lines elsewhere. A summary goes to stdout.`,
  examples: [
    'cotrans replay /tmp/target/points.csv.gz',
    'cotrans replay ../shared/data/real/cabspotting-week --speed 3600',
    'cotrans replay Data/ --format geolife --brokers 127.0.0.1:19092 --strict',
    'COTRANS_KAFKA_PASSWORD=... cotrans replay week.csv.gz --brokers k1:9093 --ssl-ca ca.pem --sasl-mechanism scram-sha-512 --sasl-username fleet',
  ],
  async run(args) {
    const ingest = await import('@cotrans/ingest');
    const path = args.positionals[0];
    const format = str(args, 'format') ?? 'auto';
    if (!(ingest.LOG_FORMATS as readonly string[]).includes(format)) throw new UserError(`invalid --format '${format}' (expected ${ingest.LOG_FORMATS.join(', ')})`);
    const speedRaw = str(args, 'speed') ?? 'max';
    const speed = speedRaw === 'max' ? 'max' : num(args, 'speed', { min: 0.001 })!;
    const naive = str(args, 'naive-time') ?? 'reject';
    if (naive !== 'reject' && naive !== 'utc') throw new UserError(`invalid --naive-time '${naive}' (expected reject or utc)`);
    const brokers = str(args, 'brokers')!;
    const topic = str(args, 'topic')!;
    const security = securityOf(args);
    await ingest.listLogFiles(path); // a wrong path is reported before any connection is made
    const reader = ingest.readPoints(path, {
      format: format as never,
      strict: bool(args, 'strict'),
      maxSamples: num(args, 'samples', { min: 0, integer: true }),
      naiveTime: naive,
      // Paced replay needs event-time order: per-vehicle files (Cabspotting, GeoLife users) are merged.
      order: speed === 'max' ? 'file' : 'time',
      onProgress: (done, total) => {
        bytes = done;
        totalBytes = total;
      },
    });
    let bytes = 0;
    let totalBytes = 0;
    // The file's own errors (empty, garbage, --strict on a bad line) come before any connection: the
    // first batch is read first, and a read that yields no point at all stops here.
    const it = reader[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done) throw ingest.nothingUsable(path, reader.summary, 'no valid point to replay');
    const source = (async function* () {
      yield first.value;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    })();
    if (bool(args, 'create-topics')) await ingest.ensureTopics(brokers, ingest.defaultTopics(6, replicationOf(args)), security);
    const bar = progress('replay', { unit: 'points' });
    const t0 = performance.now();
    let stats;
    try {
      stats = await ingest.replay(source, {
        brokers,
        topic,
        speed,
        security,
        maxPointsPerMessage: num(args, 'batch-points', { min: 1, max: 100000, integer: true }),
        onProgress: (s) => {
          const frac = totalBytes ? bytes / totalBytes : 0;
          const secs = (performance.now() - t0) / 1000;
          bar.update(s.points, {
            read: `${(frac * 100).toFixed(1)}%`,
            eta_s: frac > 0.001 ? Math.round((secs / frac) * (1 - frac)) : '?',
            event_time: new Date(s.eventTs).toISOString().slice(0, 16),
          });
        },
      });
    } catch (err) {
      if ((err as Error).name?.startsWith('KafkaJS')) throw new UserError(`Kafka at ${brokers}, topic ${topic}: ${(err as Error).message} (is the broker up? cotrans kafka start)`);
      throw err;
    }
    const s = reader.summary;
    bar.done({ messages: stats.messages, ...ingest.summaryRecord(s) });
    process.stdout.write(
      `replayed ${stats.points} points in ${stats.messages} messages to ${topic} in ${(stats.elapsedMs / 1000).toFixed(1)} s ` +
        `(${Math.round(stats.points / Math.max(0.001, stats.elapsedMs / 1000))} points/s)\n`,
    );
    process.stdout.write(ingest.summaryLines(s, num(args, 'samples', { min: 0, integer: true }) ?? 10).join('\n') + '\n');
    return 0;
  },
};
