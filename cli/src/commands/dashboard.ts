import { loadTokens, readTruth, startDashboard } from '@cotrans/dashboard';
import { existsSync, statSync } from 'node:fs';
import type { Command } from '../kit.js';
import { UserError, num, str } from '../kit.js';

export const command: Command = {
  name: 'dashboard',
  summary: 'Serve the label review dashboard over the store (or a predictions.csv): labels, model version, RF/CNN disagreement, images, reviewer verdicts.',
  usage: 'cotrans dashboard (--db FILE | --pred predictions.csv [--reviews FILE]) [--token-file FILE] [--images DIR] [--truth labels.csv] [--port 8080]',
  options: {
    db: { type: 'string', arg: 'FILE', help: 'the store from `cotrans run` / `classify --db` / `cotrans stream`: latest labels, polled every second; reviews are written into it' },
    pred: { type: 'string', arg: 'FILE', help: 'instead of --db: predictions.csv from `cotrans classify` (re-read when it changes; no model version, label history or stored images)' },
    input: { type: 'string', arg: 'LOG', help: "GPS log (file or directory) the vehicles' week tracks are read from once at start, for the map (the store keeps no fixes)" },
    tz: { type: 'string', arg: 'Area/City', help: "time zone of --input's days (default: city.json next to it, else UTC)" },
    models: { type: 'string', arg: 'DIR', help: "model directory: its current version explains each label (the forest's per-feature contributions, the ensemble and its cut); needs --db (the stored features)" },
    images: { type: 'string', arg: 'DIR', help: 'trajectory PNGs from `cotrans features --images`' },
    truth: { type: 'string', arg: 'FILE', help: 'labels.csv to show truth beside predictions (evaluation only)' },
    reviews: { type: 'string', arg: 'FILE', help: 'with --pred: SQLite file that keeps reviewers\' verdicts (default reviews.sqlite); with --db they go into the store' },
    'token-file': { type: 'string', arg: 'FILE', help: 'review tokens, one `name:token` line per reviewer (or one bare token); without any the server is read-only' },
    'allow-host': { type: 'string', arg: 'NAME', multiple: true, help: 'a host name browsers use to reach the server besides localhost/127.0.0.1/[::1] (repeatable)' },
    host: { type: 'string', arg: 'HOST', help: 'address to listen on', default: '127.0.0.1' },
    port: { type: 'string', arg: 'PORT', help: 'port (0 picks a free one)', default: '8080' },
  },
  details: [
    'The map: each vehicle\'s week from --input, coloured by day, stops (150 m, 15 min) marked, drawn as SVG',
    'in the page (no tile server: nothing leaves the machine); wheel zooms, drag pans. At most 2,000 fixes a',
    'vehicle are kept, evenly thinned. The explanation (--models with --db): tree path attribution of the',
    'forest (M1) on the latest scoring\'s stored features, the ensemble weight and the cut.',
    'With --db the vehicles are the store\'s latest labels; labels and reviews that other processes commit',
    '(`cotrans stream`, a later `cotrans run`, another dashboard) appear within a second, without a restart.',
    'The summary shows the model version that scored last with its training summary; a vehicle page shows',
    'its label history across scorings and versions, its features and its stored images.',
    'Writes need a token: --token-file and/or COTRANS_DASHBOARD_TOKEN (`name:token` or a bare token, which',
    'reviews as "reviewer"); tokens are at least 16 characters. The reviewer stored with a verdict is the',
    "token's name. Without a token the page is read-only and says so. A reviewer enters the token in the page.",
    'Requests whose Host header is not a loopback name, the listen address or an --allow-host name get 403',
    '(DNS rebinding); writes must be same-origin JSON with the page\'s header.',
    'Verdicts are appended to the reviews database (an audit trail); GET /api/reviews.csv exports the latest',
    'per vehicle. Refused writes are logged on stderr. Stops on Ctrl-C.',
  ].join('\n'),
  examples: [
    'cotrans dashboard --db out/cotrans.sqlite --token-file tokens.txt',
    'cotrans dashboard --db out/cotrans.sqlite --input out/target/points.csv.gz --models out/models --token-file tokens.txt',
    'cotrans dashboard --pred out/predictions.csv --images out/images',
    'printf "ana:$(openssl rand -hex 16)\\nbo:$(openssl rand -hex 16)\\n" > tokens.txt && cotrans dashboard --pred out/predictions.csv --token-file tokens.txt',
    'COTRANS_DASHBOARD_TOKEN=ana:0123456789abcdef0123 cotrans dashboard --pred out/predictions.csv --truth out/target/labels.csv --port 0',
    'cotrans dashboard --pred out/predictions.csv --host 0.0.0.0 --allow-host review.example.org --token-file tokens.txt',
  ],
  async run(args) {
    const db = str(args, 'db');
    const pred = str(args, 'pred');
    if (db && pred) throw new UserError('--db and --pred: give one of them (the store holds the labels)');
    if (!db && !pred) throw new UserError('--db FILE (the store) or --pred FILE (predictions.csv) is required');
    if (db && args.values.reviews !== undefined) throw new UserError('--reviews: with --db the reviews are kept in the store');
    const opt = (name: string) => str(args, name);
    const pick = (o: Record<string, string | undefined>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, string>;
    await serveDashboard({
      ...(db ? { db } : { pred: pred!, reviews: opt('reviews') ?? 'reviews.sqlite' }),
      ...pick({ input: opt('input'), tz: opt('tz'), models: opt('models'), images: opt('images'), truth: opt('truth'), tokenFile: opt('token-file') }),
      allowHosts: (args.values['allow-host'] as string[] | undefined) ?? [],
      host: opt('host') ?? '127.0.0.1',
      port: num(args, 'port', { def: 8080, min: 0, max: 65535, integer: true })!,
    });
    return 0;
  },
};

/** What `dashboard` serves, typed: the store (or a predictions CSV and its reviews file) and what explains it. */
export type DashboardJob = ({ db: string } | { pred: string; reviews: string }) & {
  input?: string;
  tz?: string;
  models?: string;
  images?: string;
  truth?: string;
  tokenFile?: string;
  allowHosts?: string[];
  host?: string;
  port: number;
};

/** Serves the review dashboard until SIGINT or SIGTERM; its URL goes to stderr. */
export async function serveDashboard(job: DashboardJob): Promise<void> {
  const db = 'db' in job ? job.db : undefined;
  const { input, images, models: modelsDir, truth: truthPath, tokenFile } = job;
  if (modelsDir && !db) throw new UserError('--models: needs --db (the explanation reads the features stored with each scoring)');
  const learn = input ? await import('@cotrans/cotrans') : null;
  const tracksTz = input ? await learn!.resolveTz(input, job.tz, '--tz', 'UTC') : undefined;
  if (images && !(existsSync(images) && statSync(images).isDirectory())) throw new UserError(`--images ${images}: not a directory`);
  const tokens = loadTokens({ ...(tokenFile ? { file: tokenFile } : {}), ...(process.env.COTRANS_DASHBOARD_TOKEN ? { env: process.env.COTRANS_DASHBOARD_TOKEN } : {}) });
  const host = job.host ?? '127.0.0.1';
  const dash = await startDashboard({
    ...('db' in job ? { storeFile: job.db } : { predictionsFile: job.pred, reviewsDb: job.reviews }),
    ...(truthPath ? { truth: await readTruth(truthPath) } : {}),
    ...(input ? { tracksFile: input, tracksTz } : {}),
    ...(modelsDir ? { modelsDir } : {}),
    ...(images ? { imagesDir: images } : {}),
    tokens,
    allowHosts: job.allowHosts ?? [],
    host,
    port: job.port,
    log: (line) => process.stderr.write(line + '\n'),
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new UserError(`--port ${job.port}: address in use`);
    if (err.code === 'EACCES') throw new UserError(`--port ${job.port}: not allowed to listen there (ports below 1024 need privileges)`);
    if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' || err.code === 'EADDRNOTAVAIL' || err.code === 'EAI_FAIL') throw new UserError(`--host ${host}: cannot listen on it (${err.code}: not an address of this machine)`);
    throw err;
  });
  const mode = tokens.length ? `writes by ${tokens.map((t) => t.reviewer).join(', ')}` : 'read-only (no --token-file or COTRANS_DASHBOARD_TOKEN)';
  process.stderr.write(`dashboard: ${dash.url} ${mode} (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await dash.close();
}
