import type { Command } from '../kit.js';
import { UserError, num, str, timeZone } from '../kit.js';
import { progress } from '../progress.js';
import { securityOf, securityOptions } from '../kafka-options.js';

export const command: Command = {
  name: 'consume',
  summary: 'consume gps.points into per-vehicle state (SQLite: points, or feature windows), dead letters to gps.points.dlq',
  usage: 'cotrans consume --out STATE.sqlite | --windows WINDOWS.sqlite [--tz Area/City] [--brokers host:port] [--group ID] [--until-idle SECONDS]',
  options: {
    out: { type: 'string', arg: 'FILE', help: 'SQLite state file (points, per-vehicle summaries, offsets); created if missing' },
    windows: { type: 'string', arg: 'FILE', help: 'instead of --out: SQLite file of per-vehicle feature windows (snapshots, offsets); created if missing' },
    tz: { type: 'string', arg: 'Area/City', help: 'with --windows: fleet time zone (IANA); needed for a new file, else taken from it' },
    'window-days': { type: 'string', arg: 'N', help: 'with --windows: window length in local days (new file: default 7; else from the file)' },
    'image-size': { type: 'string', arg: 'PX', help: 'with --windows: image side, 24, 32 or 64 (new file: default 24; else from the file)' },
    brokers: { type: 'string', arg: 'HOST:PORT', help: 'Kafka bootstrap servers, comma separated', default: '127.0.0.1:9092' },
    group: { type: 'string', arg: 'ID', help: 'consumer group id', default: 'cotrans-consume' },
    topic: { type: 'string', arg: 'TOPIC', help: 'topic to consume', default: 'gps.points' },
    'dlq-topic': { type: 'string', arg: 'TOPIC', help: 'dead-letter topic for bad messages', default: 'gps.points.dlq' },
    'until-idle': { type: 'string', arg: 'SECONDS', help: 'exit once no message arrived for this long (default: run until SIGINT/SIGTERM)' },
    'session-timeout-ms': { type: 'string', arg: 'MS', help: 'group session timeout: how soon a crashed consumer is replaced', default: '30000' },
    'fetch-bytes': { type: 'string', arg: 'BYTES', help: 'most bytes fetched per partition at once', default: '4194304' },
    ...securityOptions,
  },
  details: `Each fetched batch is validated; bad messages go to the dead-letter topic with their original
bytes, the reason and the source topic/partition/offset. The good points, per vehicle in time order,
are written to the state file together with the partition's next offset in one SQLite transaction;
only then is the offset committed to Kafka. Killing the process at any moment loses nothing and
counts nothing twice: on restart it resumes from the offsets stored with the state.

With --windows the state is the features stage's per-vehicle window (cleaning, per-day aggregates,
the last --window-days days) instead of the points: each batch updates the windows of the vehicles
it touches and writes their snapshots with the offset in one transaction, memory is bounded per
vehicle (about 22 KB for a week), and a restart restores every window from the file. The file
keeps the options it was built with; a different --tz, --window-days or --image-size is refused.
Each state file has its own offsets: to keep both points and windows, run two consumers with
different --group.`,
  examples: [
    'cotrans consume --out /tmp/state.sqlite --until-idle 10',
    'cotrans consume --out state.sqlite --brokers 127.0.0.1:19092 --group fleet-a',
    'cotrans consume --windows windows.sqlite --tz Europe/Berlin --group fleet-windows --until-idle 10',
    'COTRANS_KAFKA_PASSWORD=... cotrans consume --out state.sqlite --brokers k1:9093 --ssl-ca ca.pem --sasl-mechanism plain --sasl-username fleet',
  ],
  async run(args) {
    const ingest = await import('@cotrans/ingest');
    const windows = str(args, 'windows');
    const out = windows === undefined ? str(args, 'out', true) : str(args, 'out');
    if (out !== undefined && windows !== undefined) throw new UserError('give --out or --windows, not both: each state file has its own offsets (run a second consumer with another --group)');
    const brokers = str(args, 'brokers')!;
    const security = securityOf(args);
    const idle = num(args, 'until-idle', { min: 0.1 });
    const tz = timeZone(args);
    const windowOpts = { tz, windowDays: num(args, 'window-days', { min: 1, max: 366, integer: true }), imageSize: num(args, 'image-size', { min: 4, max: 256, integer: true }) };
    if (windows === undefined && Object.values(windowOpts).some((v) => v !== undefined)) throw new UserError('--tz, --window-days and --image-size go with --windows');
    const file = (windows ?? out)!;
    let store;
    try {
      store = windows !== undefined ? new (await import('@cotrans/features')).SqliteWindowStore(windows, windowOpts) : new ingest.SqlitePointStore(file);
    } catch (err) {
      if ((err as { exitCode?: number }).exitCode === 1) throw err;
      throw new UserError(`cannot open state file ${file}: ${(err as Error).message}`);
    }
    // fixes the point store already held (a replay sent twice) are not "points this run"; the window
    // store counts its duplicates with the cleaning, in the state line
    const duplicates = (): number => (store instanceof ingest.SqlitePointStore ? (store.counters().duplicate_points ?? 0) : 0);
    const duplicatesBefore = duplicates();
    const bar = progress('consume', { unit: 'points' });
    let consumer;
    try {
      consumer = await ingest.runConsumer({
        brokers,
        groupId: str(args, 'group')!,
        topic: str(args, 'topic')!,
        dlqTopic: str(args, 'dlq-topic')!,
        handler: store,
        security,
        sessionTimeoutMs: num(args, 'session-timeout-ms', { min: 6000, integer: true }),
        maxBytesPerPartition: num(args, 'fetch-bytes', { min: 1024, integer: true }),
        onBatch: (_b, s) => bar.update(s.points, { messages: s.messages, dead_letters: s.deadLetters }),
        log: (l) => process.stderr.write(`consume: ${l}\n`),
      });
    } catch (err) {
      store.close();
      if ((err as Error).name?.startsWith('KafkaJS')) throw new UserError(`Kafka at ${brokers}: ${(err as Error).message} (is the broker up? cotrans kafka start)`);
      throw err;
    }
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const stopped = new Promise<void>((res) => abort.signal.addEventListener('abort', () => res(), { once: true }));
    try {
      await Promise.race([consumer.done, stopped, idle !== undefined ? consumer.waitIdle(idle * 1000, { signal: abort.signal }) : new Promise(() => undefined)]);
    } finally {
      await consumer.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    await consumer.done;
    const s = consumer.stats;
    bar.done({ messages: s.messages, dead_letters: s.deadLetters });
    const dropped = duplicates() - duplicatesBefore;
    let state: string;
    if (store instanceof ingest.SqlitePointStore) {
      const c = store.counters();
      state = `state ${file}: ${c.points ?? 0} points, ${c.dead_letters ?? 0} dead letters in total`;
    } else {
      const c = store.counters();
      const k = store.cleaning();
      state = `windows ${file}: ${store.vehicles} vehicles, ${c.points} points, ${c.deadLetters} dead letters in total (late ${k.late}, duplicates ${k.exactDuplicates + k.nearDuplicates}, jumps ${k.jumps})`;
    }
    store.close();
    process.stdout.write(
      `consumed ${s.messages} messages, ${s.points - dropped} points this run${dropped ? ` (and ${dropped} the store already held)` : ''}; dead letters ${s.deadLetters}${s.rejectedPoints ? ` holding ${s.rejectedPoints} rejected point(s)` : ''}` +
        `${Object.keys(s.byReason).length ? ` (${Object.entries(s.byReason).map(([k, v]) => `${v}× ${k}`).join('; ')})` : ''}; ` +
        `${state}\n`,
    );
    return 0;
  },
};
