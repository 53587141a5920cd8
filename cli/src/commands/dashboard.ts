import { readPredictions, readTruth, startDashboard } from '@cotrans/dashboard';
import { existsSync, statSync } from 'node:fs';
import type { Command } from '../kit.js';
import { UserError, num, str } from '../kit.js';

export const command: Command = {
  name: 'dashboard',
  summary: 'Serve the label review dashboard: vehicles by p_shared, RF/CNN disagreement, images, reviewer verdicts (SQLite).',
  usage: 'cotrans dashboard --pred predictions.csv [--images DIR] [--truth labels.csv] [--reviews FILE] [--port 8080]',
  options: {
    pred: { type: 'string', arg: 'FILE', help: 'predictions.csv from `cotrans classify`' },
    images: { type: 'string', arg: 'DIR', help: 'trajectory PNGs from `cotrans features --images`' },
    truth: { type: 'string', arg: 'FILE', help: 'labels.csv to show truth beside predictions (evaluation only)' },
    reviews: { type: 'string', arg: 'FILE', help: 'SQLite file that keeps reviewers\' verdicts', default: 'reviews.sqlite' },
    host: { type: 'string', arg: 'HOST', help: 'address to listen on', default: '127.0.0.1' },
    port: { type: 'string', arg: 'PORT', help: 'port (0 picks a free one)', default: '8080' },
  },
  details: 'Verdicts are appended to the reviews database (an audit trail); GET /api/reviews.csv exports the latest per vehicle.\nStops on Ctrl-C.',
  examples: [
    'cotrans dashboard --pred out/predictions.csv --images out/images',
    'cotrans dashboard --pred out/predictions.csv --truth out/target/labels.csv --port 0',
  ],
  async run(args) {
    const pred = str(args, 'pred', true);
    const images = str(args, 'images');
    if (images && !(existsSync(images) && statSync(images).isDirectory())) throw new UserError(`--images ${images}: not a directory`);
    const truthPath = str(args, 'truth');
    const dash = await startDashboard({
      predictions: await readPredictions(pred),
      ...(truthPath ? { truth: await readTruth(truthPath) } : {}),
      ...(images ? { imagesDir: images } : {}),
      reviewsDb: str(args, 'reviews') ?? 'reviews.sqlite',
      host: str(args, 'host') ?? '127.0.0.1',
      port: num(args, 'port', { def: 8080, min: 0, max: 65535, integer: true })!,
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') throw new UserError(`--port ${args.values.port}: address in use`);
      if (err.code === 'EACCES') throw new UserError(`--port ${args.values.port}: not allowed to listen there (ports below 1024 need privileges)`);
      if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' || err.code === 'EADDRNOTAVAIL' || err.code === 'EAI_FAIL') throw new UserError(`--host ${args.values.host}: cannot listen on it (${err.code}: not an address of this machine)`);
      throw err;
    });
    process.stderr.write(`dashboard: ${dash.url} (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await dash.close();
    return 0;
  },
};
