import type { Command } from '../kit.js';
import { UserError, num, str } from '../kit.js';
import { progress } from '../progress.js';

export const command: Command = {
  name: 'consume',
  summary: 'consume gps.points into per-vehicle window state (SQLite), dead letters to gps.points.dlq',
  usage: 'cotrans consume --out STATE.sqlite [--brokers host:port] [--group ID] [--until-idle SECONDS]',
  options: {
    out: { type: 'string', arg: 'FILE', help: 'SQLite state file (points, per-vehicle summaries, offsets); created if missing' },
    brokers: { type: 'string', arg: 'HOST:PORT', help: 'Kafka bootstrap servers, comma separated', default: '127.0.0.1:9092' },
    group: { type: 'string', arg: 'ID', help: 'consumer group id', default: 'cotrans-consume' },
    topic: { type: 'string', arg: 'TOPIC', help: 'topic to consume', default: 'gps.points' },
    'dlq-topic': { type: 'string', arg: 'TOPIC', help: 'dead-letter topic for bad messages', default: 'gps.points.dlq' },
    'until-idle': { type: 'string', arg: 'SECONDS', help: 'exit once no message arrived for this long (default: run until SIGINT/SIGTERM)' },
    'session-timeout-ms': { type: 'string', arg: 'MS', help: 'group session timeout: how soon a crashed consumer is replaced', default: '30000' },
    'fetch-bytes': { type: 'string', arg: 'BYTES', help: 'most bytes fetched per partition at once', default: '4194304' },
  },
  details: `Each fetched batch is validated; bad messages go to the dead-letter topic with their original
bytes, the reason and the source topic/partition/offset. The good points, per vehicle in time order,
are written to the state file together with the partition's next offset in one SQLite transaction;
only then is the offset committed to Kafka. Killing the process at any moment loses nothing and
counts nothing twice: on restart it resumes from the offsets stored with the state.`,
  examples: ['cotrans consume --out /tmp/state.sqlite --until-idle 10', 'cotrans consume --out state.sqlite --brokers 127.0.0.1:19092 --group fleet-a'],
  async run(args) {
    const ingest = await import('@cotrans/ingest');
    const out = str(args, 'out', true);
    const brokers = str(args, 'brokers')!;
    const idle = num(args, 'until-idle', { min: 0.1 });
    let store;
    try {
      store = new ingest.SqlitePointStore(out);
    } catch (err) {
      throw new UserError(`cannot open state file ${out}: ${(err as Error).message}`);
    }
    const bar = progress('consume', { unit: 'points' });
    let consumer;
    try {
      consumer = await ingest.runConsumer({
        brokers,
        groupId: str(args, 'group')!,
        topic: str(args, 'topic')!,
        dlqTopic: str(args, 'dlq-topic')!,
        handler: store,
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
    const c = store.counters();
    store.close();
    process.stdout.write(
      `consumed ${s.messages} messages, ${s.points} points this run; dead letters ${s.deadLetters}` +
        `${Object.keys(s.byReason).length ? ` (${Object.entries(s.byReason).map(([k, v]) => `${v}× ${k}`).join('; ')})` : ''}; ` +
        `state ${out}: ${c.points ?? 0} points, ${c.dead_letters ?? 0} dead letters in total\n`,
    );
    return 0;
  },
};
