import { join } from 'node:path';
import type { Command } from '../kit.js';
import { UserError, num, str } from '../kit.js';

const ACTIONS = ['start', 'stop', 'status', 'fetch'] as const;

export const command: Command = {
  name: 'kafka',
  summary: 'start, stop or inspect the local Apache Kafka broker',
  usage: 'cotrans kafka start|stop|status|fetch [options]',
  positionals: { name: 'ACTION', help: 'start | stop | status | fetch (download the jars only)', min: 1, max: 1 },
  options: {
    port: { type: 'string', arg: 'PORT', help: 'client port on 127.0.0.1 (the controller uses PORT+1, or a free port if that one is taken)', default: '9092' },
    dir: { type: 'string', arg: 'DIR', help: 'broker home: config, data, server.log, pid (default: <repo>/.kafka or $COTRANS_KAFKA_HOME)' },
    partitions: { type: 'string', arg: 'N', help: 'partitions of gps.points when start creates it', default: '6' },
    'heap-mb': { type: 'string', arg: 'MB', help: 'broker JVM heap', default: '512' },
  },
  details: `start fetches Apache Kafka's jars from Maven Central with mvn on first use (cached in
<repo>/.cache/kafka, so later starts are offline), formats KRaft storage, starts a single-node
broker+controller in the background, waits until it answers a metadata call, and creates the topics
gps.points (key = vehicle id), gps.points.dlq and vehicle.labels (auto-create is off).
stop shuts the broker down cleanly (SIGTERM, waits for the JVM to exit).
status prints whether it runs, its address and its topics; exit 0 when running, 1 when not.`,
  examples: ['cotrans kafka start', 'cotrans kafka start --port 19092 --dir /tmp/kafka --partitions 12', 'cotrans kafka status', 'cotrans kafka stop'],
  async run(args) {
    const action = args.positionals[0] as (typeof ACTIONS)[number];
    if (!ACTIONS.includes(action)) throw new UserError(`unknown action '${action}' (expected ${ACTIONS.join(', ')})`);
    const ingest = await import('@cotrans/ingest');
    const dir = str(args, 'dir') ?? process.env.COTRANS_KAFKA_HOME ?? join(ingest.repoRoot(), '.kafka');
    const log = (l: string) => process.stderr.write(`kafka: ${l}\n`);
    if (action === 'fetch') {
      const already = ingest.isKafkaFetched();
      const libs = await ingest.fetchKafka({ log });
      process.stdout.write(`Kafka ${ingest.KAFKA_VERSION} jars ${already ? 'already cached' : 'fetched'} in ${libs}\n`);
      return 0;
    }
    if (action === 'start') {
      const port = num(args, 'port', { min: 1, max: 65534, integer: true })!;
      const partitions = num(args, 'partitions', { min: 1, max: 1000, integer: true })!;
      const heapMb = num(args, 'heap-mb', { min: 128, max: 65536, integer: true })!;
      const info = await ingest.startBroker({ dir, port, heapMb, log });
      const topics = await ingest.ensureTopics(info.brokers, ingest.defaultTopics(partitions));
      for (const m of topics.mismatched) log(`topic ${m.topic} exists with ${m.partitions} partitions (not ${m.wanted}); left as it is`);
      process.stdout.write(
        `Kafka ${info.version} ${info.startMs ? `ready in ${(info.startMs / 1000).toFixed(1)} s` : 'already running'} on ${info.brokers} (pid ${info.pid}, home ${dir})\n` +
          (topics.created.length ? `created topics: ${topics.created.join(', ')}\n` : ''),
      );
      return 0;
    }
    if (action === 'stop') {
      const stopped = await ingest.stopBroker(dir);
      process.stdout.write(stopped ? `Kafka stopped (home ${dir})\n` : `no Kafka broker running from ${dir}\n`);
      return 0;
    }
    const s = await ingest.brokerStatus(dir);
    if (!s.running) {
      process.stdout.write(`not running (home ${dir})\n`);
      return 1;
    }
    process.stdout.write(`running: Kafka ${s.version} on ${s.brokers}, pid ${s.pid}, ${s.ready ? 'answering' : 'NOT answering metadata calls'}\n`);
    for (const t of s.topics ?? []) process.stdout.write(`  ${t.topic} (${t.partitions} partition${t.partitions > 1 ? 's' : ''})\n`);
    return s.ready ? 0 : 2;
  },
};
