#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist by `npm ci` (root "prepare" runs `tsc -b`).
import { main } from '../dist/main.js';
const debug = process.argv.includes('--debug');
const internal = (err) => {
  console.error(`cotrans: internal error: ${debug ? (err?.stack ?? err) : String(err?.message ?? err).split('\n')[0]} (a bug: please report it; --debug shows the stack)`);
  process.exitCode = 2;
};
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // after a broker restart kafkajs can keep one socket open although every client of `stream` was
  // disconnected; by then everything is committed, so a lingering socket must not keep it alive
  if (process.argv[2] === 'stream') setTimeout(() => process.exit(code), 2000).unref();
}, internal);
