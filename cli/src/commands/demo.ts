import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { readCity } from '@cotrans/core';
import type { Command } from '../kit.js';
import { UserError, bool, num, str } from '../kit.js';

const step = (what: string) => process.stderr.write(`\ndemo: ${what}\n`);

export const command: Command = {
  name: 'demo',
  summary: 'Replay a simulated demo fleet through Kafka, classify it with CoTrans and serve the review dashboard.',
  usage: 'cotrans demo [--out DIR] [--source-vehicles N] [--vehicles N] [--offline] [--port 8080] [--no-serve]',
  options: {
    out: { type: 'string', arg: 'DIR', help: 'working folder for every artefact', default: 'demo-out' },
    'source-vehicles': { type: 'string', arg: 'N', help: 'labeled source fleet size (city A, 60 s)', default: '300' },
    vehicles: { type: 'string', arg: 'N', help: 'target fleet size (city B, 15 s, hidden truth)', default: '400' },
    days: { type: 'string', arg: 'N', help: 'days simulated', default: '7' },
    seed: { type: 'string', arg: 'S', help: 'seed of the simulation and training', default: '1' },
    epochs: { type: 'string', arg: 'N', help: 'CNN maximum epochs (early stopping on held-out vehicles)', default: '30' },
    offline: { type: 'boolean', help: 'skip Kafka: classify the target log file directly (offline replay)' },
    'kafka-port': { type: 'string', arg: 'PORT', help: 'client port of the demo broker', default: '19092' },
    port: { type: 'string', arg: 'PORT', help: 'dashboard port (0 picks a free one)', default: '8080' },
    'no-serve': { type: 'boolean', help: 'stop after writing the predictions and the report' },
  },
  details: `Steps, each what the command it names does (see their --help):
  1. simulate --preset source (labeled) and --preset target (truth kept aside for the report)
  2. train CoTrans: stage 1 (RF on the source, aligned to the target), stage 2 (RF + CNN co-training)
  3. kafka start (a local broker in DIR/kafka; jars fetched by Maven on first use), replay the target
     log into gps.points, run \`cotrans stream\` on it until it is drained: per-vehicle 7-day windows
     and labels in the store DIR/cotrans.sqlite (offsets stored with the state), each label also on
     the compacted topic vehicle.labels; kafka stop
  4. classify the stream's windows -> DIR/predictions.csv, the images into the store, trajectory
     PNGs -> DIR/images
  5. evaluate against the hidden truth -> DIR/report.md
  6. dashboard on 127.0.0.1:PORT over the store, with the target log's tracks and the model's
     explanations; reviews go into the store, signed with the token printed and kept in
     DIR/review-token (reviewer "demo"; Ctrl-C to stop)
With --offline, step 3 is skipped and the target log file is classified directly.`,
  examples: ['cotrans demo', 'cotrans demo --vehicles 1000 --out /tmp/demo --port 0', 'cotrans demo --offline --no-serve'],
  async run(args) {
    const out = resolve(str(args, 'out') ?? 'demo-out');
    const seed = num(args, 'seed', { def: 1, integer: true, min: 0 })!;
    const days = num(args, 'days', { def: 7, integer: true, min: 2, max: 28 })!;
    const srcN = num(args, 'source-vehicles', { def: 300, integer: true, min: 20 })!;
    const tgtN = num(args, 'vehicles', { def: 400, integer: true, min: 20 })!;
    const epochs = num(args, 'epochs', { def: 30, integer: true, min: 1 })!;
    const kafkaPort = num(args, 'kafka-port', { def: 19092, integer: true, min: 1, max: 65534 })!;
    const port = num(args, 'port', { def: 8080, min: 0, max: 65535, integer: true })!;
    const t0 = performance.now();
    await mkdir(out, { recursive: true });
    const dir = (p: string) => join(out, p);

    const fixtures = await import('@cotrans/fixtures');
    const ingest = await import('@cotrans/ingest');
    const learn = await import('@cotrans/cotrans');
    const { trainToModels } = await import('./train.js');
    const { classifyInto } = await import('./classify.js');
    const { runStream } = await import('../stream/run.js');

    for (const [preset, vehicles, s, to] of [['source', srcN, seed, 'source'], ['target', tgtN, seed + 1, 'target']] as const) {
      step(`simulate --preset ${preset} (${vehicles} vehicles, ${days} days, seed ${s}) -> ${dir(to)}`);
      const res = await fixtures.writeFleet({ preset, vehicles, days, seed: s }, dir(to));
      process.stderr.write(`demo: ${res.points} points\n`);
    }
    step(`train CoTrans on ${dir('source')} (labelled) and ${dir('target')} -> ${dir('models')}`);
    await trainToModels({
      sources: [{ points: dir('source/points.csv.gz'), labels: dir('source/labels.csv') }],
      target: dir('target/points.csv.gz'),
      models: dir('models'),
      learn: { cotrain: { image: { cnn: { maxEpochs: epochs } } } },
      seed,
    });

    const to = { out: dir('predictions.csv'), db: dir('cotrans.sqlite'), imagesDir: dir('images'), dbImages: true };
    if (bool(args, 'offline')) {
      step(`classify ${dir('target/points.csv.gz')} -> ${to.out}, ${to.db}`);
      await classifyInto({ models: dir('models'), input: dir('target/points.csv.gz'), to });
    } else {
      const kafkaDir = dir('kafka');
      const tz = (await readCity(dir('target')))?.tz;
      if (!tz) throw new UserError(`${dir('target/city.json')}: names no time zone`);
      step(`Kafka broker in ${kafkaDir} on port ${kafkaPort}`);
      const log = (l: string) => process.stderr.write(`kafka: ${l}\n`);
      const broker = await ingest.startBroker({ dir: kafkaDir, port: kafkaPort, log });
      try {
        await ingest.ensureTopics(broker.brokers, ingest.defaultTopics(6));
        step(`replay ${dir('target/points.csv.gz')} into ${ingest.TOPICS.points}`);
        const sent = await ingest.replay(ingest.readPoints(dir('target/points.csv.gz')), { brokers: broker.brokers });
        process.stderr.write(`demo: ${sent.points} points in ${sent.messages} messages\n`);
        // the product's long-running job, ended once the replayed week is drained: labels on
        // vehicle.labels and in the store, windows in the store and on the changelog
        step(`stream ${ingest.TOPICS.points} -> ${ingest.TOPICS.labels} and ${to.db}, until 5 s without a message`);
        const code = await runStream({ brokers: broker.brokers, models: dir('models'), db: to.db, tz, group: `demo-${Date.now()}`, untilIdleS: 5 });
        if (code !== 0) throw new Error(`the stream job ended with code ${code}`);
      } finally {
        await ingest.stopBroker(kafkaDir);
      }
      // the stream's windows once more, for the predictions file and the images the dashboard shows
      step(`classify the stream's windows in ${to.db} -> ${to.out}`);
      await classifyInto({ models: dir('models'), windows: to.db, to });
    }
    step(`evaluate ${dir('predictions.csv')} against ${dir('target/labels.csv')}`);
    const report = learn.evaluationReport(await learn.readPredictions(dir('predictions.csv')), await learn.readLabels(dir('target/labels.csv')), { pred: dir('predictions.csv'), truth: dir('target/labels.csv') });
    await writeFile(dir('report.md'), report);
    process.stdout.write(report);
    process.stderr.write(`\ndemo: pipeline done in ${((performance.now() - t0) / 1000).toFixed(0)} s; artefacts in ${out}\n`);

    // a reviewer's token for this demo (kept, so a second run keeps the same one), readable by its owner only
    const tokenFile = dir('review-token');
    if (!existsSync(tokenFile)) await writeFile(tokenFile, `demo:${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
    const token = (await readFile(tokenFile, 'utf8')).trim().split(':')[1];
    process.stderr.write(`demo: review token (reviewer "demo", from ${tokenFile}): ${token}\n`);
    if (bool(args, 'no-serve')) return 0;
    const { serveDashboard } = await import('./dashboard.js');
    step(`dashboard over ${to.db}`);
    await serveDashboard({ db: to.db, input: dir('target/points.csv.gz'), models: dir('models'), truth: dir('target/labels.csv'), tokenFile, port });
    return 0;
  },
};
