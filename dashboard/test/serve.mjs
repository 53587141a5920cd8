// A dashboard in a process of its own, for tests that measure the server's memory alone.
// argv: predictions.csv reviews.sqlite images-dir image-cache-size. Sends { url } once listening;
// answers 'stats' with { rss, imageCache } after a full GC (run with --expose-gc).
/* global process */
import { startDashboard } from '../dist/index.js';

const [predictionsFile, reviewsDb, imagesDir, cache] = process.argv.slice(2);
const dash = await startDashboard({ predictionsFile, reviewsDb, imagesDir, imageCacheSize: Number(cache) });
process.send({ url: dash.url });
process.on('message', (m) => {
  if (m === 'stats') {
    globalThis.gc?.();
    process.send({ rss: process.memoryUsage().rss, imageCache: dash.stats().imageCache });
  } else if (m === 'stop') {
    void dash.close().then(() => process.exit(0));
  }
});
