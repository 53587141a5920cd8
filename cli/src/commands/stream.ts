import type { Command } from '../kit.js';
import { num, str, timeZone } from '../kit.js';
import { clusterOptions, replicationOf, securityOf } from '../kafka-options.js';
import { STREAM_DEFAULTS } from '../stream/defaults.js';

export const command: Command = {
  name: 'stream',
  summary: 'classify the fleet continuously: gps.points -> per-vehicle 7-day windows -> labels on vehicle.labels and in the store',
  usage: 'cotrans stream --models DIR --db FILE [--brokers LIST] [--group ID] [--metrics-port P] [--until-idle S] [--debounce-min M]',
  options: {
    brokers: { type: 'string', arg: 'LIST', help: 'Kafka bootstrap servers, comma separated', default: STREAM_DEFAULTS.brokers },
    models: { type: 'string', arg: 'DIR', help: 'model directory written by cotrans train; its current version scores, and a new current version (train, cotrans models use) is picked up while running' },
    db: { type: 'string', arg: 'FILE', help: 'SQLite store of this instance: windows and offsets per partition, stream state, latest labels and label history; created if missing' },
    group: { type: 'string', arg: 'ID', help: 'consumer group; instances with the same group split the partitions', default: STREAM_DEFAULTS.group },
    'metrics-port': { type: 'string', arg: 'PORT', help: 'serve /metrics (Prometheus) and /healthz on this port (0: any free port, printed)' },
    'until-idle': { type: 'string', arg: 'SECONDS', help: 'flush, commit and exit once no message arrived for this long (default: run until SIGTERM/SIGINT)' },
    'debounce-min': { type: 'string', arg: 'MINUTES', help: 'score a changed vehicle again once its fixes moved on this many minutes of event time (and at each local midnight)', default: String(STREAM_DEFAULTS.debounceMin) },
    'stale-hours': { type: 'string', arg: 'HOURS', help: 'a vehicle silent this long (event time, against its partition\'s latest fix) is flagged stale', default: String(STREAM_DEFAULTS.staleHours) },
    'model-poll-s': { type: 'string', arg: 'SECONDS', help: 'how often the model directory is checked for a new current version', default: String(STREAM_DEFAULTS.modelPollS) },
    tz: { type: 'string', arg: 'Area/City', help: "fleet time zone (IANA); default: the model's" },
    'window-days': { type: 'string', arg: 'N', help: 'window length in local days (a new store; else taken from it)', default: String(STREAM_DEFAULTS.windowDays) },
    topic: { type: 'string', arg: 'TOPIC', help: 'points topic', default: STREAM_DEFAULTS.topic },
    'dlq-topic': { type: 'string', arg: 'TOPIC', help: 'dead-letter topic for bad messages', default: STREAM_DEFAULTS.dlqTopic },
    'labels-topic': { type: 'string', arg: 'TOPIC', help: 'compacted topic the labels go to, keyed by vehicle', default: STREAM_DEFAULTS.labelsTopic },
    'changelog-topic': { type: 'string', arg: 'TOPIC', help: 'compacted topic of window changes, partitioned like the points topic', default: STREAM_DEFAULTS.changelogTopic },
    partitions: { type: 'string', arg: 'N', help: 'partitions of the points topic when this command creates it (the changelog always gets as many as the points topic has)', default: String(STREAM_DEFAULTS.partitions) },
    ...clusterOptions,
    'session-timeout-ms': { type: 'string', arg: 'MS', help: 'group session timeout: how soon a crashed instance\'s partitions move to the others', default: String(STREAM_DEFAULTS.sessionTimeoutMs) },
    'fetch-bytes': { type: 'string', arg: 'BYTES', help: 'most bytes fetched per partition at once', default: String(STREAM_DEFAULTS.fetchBytes) },
  },
  details: `Each instance holds the windows of the partitions the group assigns it. On assignment it
restores a partition from its --db, then replays the changelog from the offset the store has seen,
and only then consumes it (/healthz says ready once every assigned partition is restored). Each
batch: fixes go into the windows (the features stage's VehicleWindow, as in batch), due vehicles
are scored, the changed windows go to the changelog and the new labels to --labels-topic, then
the state is committed to --db in one transaction, and only then the offset to Kafka.

A label is a JSON value: vehicleId, label (shared or private), pShared, pRf, pCnn, modelVersion,
windowStart (the window's first local midnight), windowEnd (the vehicle's last fix), points,
scoredAt (epoch ms), flags. The store keeps the latest label per vehicle and the history of
changes (vehicle_labels, label_history), and every model version that scored (model_versions).
With each batch it also keeps the stream's health: per partition the committed offset, the high
watermark and the lag (stream_partition_health), dead letters by reason (dead_letter_counts), and
this instance's points/s and messages/s (stream_status); cotrans dashboard --db shows them.

The window of each vehicle slides with its partition's watermark (the latest fix seen there): a
vehicle silent for --stale-hours is re-scored with the flag stale; once none of its days is in
the window, its label keeps only its value, with no probabilities and flags aged_out, stale.

On a new current model version every vehicle held is re-scored with it, without a restart.
SIGTERM or SIGINT: dirty vehicles are scored, everything is committed, the group is left.
Exit 1 on bad options, an unreachable broker, or a store built with other feature options.`,
  examples: [
    'cotrans stream --models /tmp/models --db /tmp/stream.sqlite --until-idle 10',
    'cotrans stream --brokers k1:9092,k2:9092,k3:9092 --models /srv/models --db /var/lib/cotrans/stream.sqlite --group fleet --metrics-port 9464',
    'cotrans stream --models /srv/models --db a.sqlite --group fleet --debounce-min 30 --stale-hours 12 --model-poll-s 60',
    'cotrans stream --models m --db s.sqlite --window-days 7 --tz Europe/Berlin --session-timeout-ms 10000 --fetch-bytes 1048576',
    'cotrans stream --models m --db s.sqlite --topic fleet.points --dlq-topic fleet.dlq --labels-topic fleet.labels --changelog-topic fleet.windows-changelog',
    'cotrans stream --models m --db s.sqlite --partitions 12 --replication-factor 3',
    'COTRANS_KAFKA_PASSWORD=... cotrans stream --brokers k1:9093 --ssl-ca ca.pem --sasl-mechanism scram-sha-512 --sasl-username cotrans --models m --db s.sqlite',
    'cotrans stream --brokers k1:9093 --ssl --ssl-cert client.pem --ssl-key client.key --models m --db s.sqlite',
  ],
  async run(args) {
    const { runStream } = await import('../stream/run.js');
    const models = str(args, 'models', true);
    const db = str(args, 'db', true);
    const idle = num(args, 'until-idle', { min: 0.1 });
    const metricsPort = num(args, 'metrics-port', { min: 0, max: 65535, integer: true });
    const tz = timeZone(args);
    return runStream({
      brokers: str(args, 'brokers')!,
      models,
      db,
      group: str(args, 'group')!,
      metricsPort,
      untilIdleS: idle,
      debounceMin: num(args, 'debounce-min', { min: 0 })!,
      staleHours: num(args, 'stale-hours', { min: 0.01 })!,
      modelPollS: num(args, 'model-poll-s', { min: 0.1 })!,
      tz,
      windowDays: num(args, 'window-days', { min: 1, max: 366, integer: true })!,
      topic: str(args, 'topic')!,
      dlqTopic: str(args, 'dlq-topic')!,
      labelsTopic: str(args, 'labels-topic')!,
      changelogTopic: str(args, 'changelog-topic')!,
      partitions: num(args, 'partitions', { min: 1, max: 10_000, integer: true })!,
      replicationFactor: replicationOf(args),
      security: securityOf(args),
      sessionTimeoutMs: num(args, 'session-timeout-ms', { min: 6000, integer: true })!,
      fetchBytes: num(args, 'fetch-bytes', { min: 1024, integer: true })!,
    });
  },
};
