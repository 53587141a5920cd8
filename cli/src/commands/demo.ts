import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command, ParsedArgs } from '../kit.js';
import { bool, num, parseCommandArgs, str } from '../kit.js';
import { commands } from './index.js';

/** Runs another cotrans command with argv, exactly as the shell would (defaults, validation). */
async function invoke(name: string, argv: string[]): Promise<void> {
  const cmd = await commands[name].load();
  process.stderr.write(`\n$ cotrans ${name} ${argv.join(' ')}\n`);
  const args = parseCommandArgs(cmd, argv) as ParsedArgs;
  const code = await cmd.run(args);
  if (typeof code === 'number' && code !== 0) throw new Error(`cotrans ${name} exited ${code}`);
}

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
  details: `Steps, each the same as the command it names (see their --help):
  1. simulate --preset source (labeled) and --preset target (truth kept aside for the report)
  2. train CoTrans: stage 1 (RF on the source, aligned to the target), stage 2 (RF + CNN co-training)
  3. kafka start (a local broker in DIR/kafka; jars fetched by Maven on first use), replay the target
     log into gps.points, consume it into per-vehicle 7-day windows in DIR/windows.sqlite (offsets
     stored with the state), kafka stop
  4. classify the consumed windows -> DIR/predictions.csv and the store DIR/cotrans.sqlite (labels,
     features, images), trajectory PNGs -> DIR/images
  5. evaluate against the hidden truth -> DIR/report.md
  6. dashboard on 127.0.0.1:PORT over the store, with the target log's tracks and the model's
     explanations; reviews go into the store (Ctrl-C to stop)
With --offline, step 3 is skipped and the target log file is classified directly.`,
  examples: ['cotrans demo', 'cotrans demo --vehicles 1000 --out /tmp/demo --port 0', 'cotrans demo --offline --no-serve'],
  async run(args) {
    const out = resolve(str(args, 'out') ?? 'demo-out');
    const seed = num(args, 'seed', { def: 1, integer: true, min: 0 })!;
    const days = String(num(args, 'days', { def: 7, integer: true, min: 2, max: 28 }));
    const srcN = String(num(args, 'source-vehicles', { def: 300, integer: true, min: 20 }));
    const tgtN = String(num(args, 'vehicles', { def: 400, integer: true, min: 20 }));
    const epochs = String(num(args, 'epochs', { def: 30, integer: true, min: 1 }));
    const kafkaPort = num(args, 'kafka-port', { def: 19092, integer: true, min: 1, max: 65534 })!;
    const t0 = performance.now();
    await mkdir(out, { recursive: true });
    const dir = (p: string) => join(out, p);

    await invoke('simulate', ['--preset', 'source', '--vehicles', srcN, '--days', days, '--seed', String(seed), '--out', dir('source')]);
    await invoke('simulate', ['--preset', 'target', '--vehicles', tgtN, '--days', days, '--seed', String(seed + 1), '--out', dir('target')]);
    await invoke('train', [
      '--source', dir('source/points.csv.gz'), '--source-labels', dir('source/labels.csv'),
      '--target', dir('target/points.csv.gz'), '--models', dir('models'), '--epochs', epochs, '--seed', String(seed),
    ]);

    const classify = ['--models', dir('models'), '--out', dir('predictions.csv'), '--images', dir('images'), '--db', dir('cotrans.sqlite'), '--db-images'];
    if (bool(args, 'offline')) {
      await invoke('classify', [...classify, '--input', dir('target/points.csv.gz')]);
    } else {
      const kafkaDir = dir('kafka');
      const brokers = `127.0.0.1:${kafkaPort}`;
      const { tz } = JSON.parse(await readFile(dir('target/city.json'), 'utf8')) as { tz: string };
      await invoke('kafka', ['start', '--dir', kafkaDir, '--port', String(kafkaPort), '--partitions', '6']);
      try {
        await invoke('replay', [dir('target/points.csv.gz'), '--brokers', brokers]);
        await invoke('consume', ['--windows', dir('windows.sqlite'), '--tz', tz, '--brokers', brokers, '--group', `demo-${Date.now()}`, '--until-idle', '5']);
      } finally {
        await invoke('kafka', ['stop', '--dir', kafkaDir]);
      }
      await invoke('classify', [...classify, '--windows', dir('windows.sqlite')]);
    }
    await invoke('evaluate', ['--pred', dir('predictions.csv'), '--truth', dir('target/labels.csv'), '--out', dir('report.md')]);
    process.stderr.write(`\ndemo: pipeline done in ${((performance.now() - t0) / 1000).toFixed(0)} s; artefacts in ${out}\n`);

    if (bool(args, 'no-serve')) return 0;
    await invoke('dashboard', [
      '--db', dir('cotrans.sqlite'), '--input', dir('target/points.csv.gz'), '--models', dir('models'),
      '--truth', dir('target/labels.csv'), '--port', str(args, 'port') ?? '8080',
    ]);
    return 0;
  },
};
