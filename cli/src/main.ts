import { commands, resolveAlias } from './commands/index.js';
import { oneLine } from '@cotrans/core';
import { helpText, isUserError, parseCommandArgs } from './kit.js';

/** Where to report an internal error. */
const REPORT_HINT = 'this is a bug in cotrans: please report it with the command line and, rerun with --debug, the stack';

function topHelp(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'cotrans: detect shared (taxi, ride-hailing, car-sharing) vs private cars from GPS trajectories',
    '',
    'Usage: cotrans <command> [options]      cotrans <command> --help',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Exit codes: 0 success, 1 user error (the message names what and where), 2 internal error.',
    'Global option: --debug prints the stack of an internal error.',
    '',
    'Examples:',
    '  cotrans demo                                   # simulate, replay, classify, serve the dashboard',
    '  cotrans simulate --preset target --vehicles 200 --out /tmp/target',
    '  cotrans features /tmp/target/points.csv.gz --tz Europe/Berlin --out /tmp/features.csv',
    '  cotrans run --input /tmp/target/points.csv.gz --models /tmp/models --db /tmp/cotrans.sqlite   # label a week into the store',
    '  cotrans models list --models /tmp/models',
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  // --debug is global: the stack of an internal error, which is otherwise kept from the user.
  const debug = argv.includes('--debug');
  const [given, ...after] = argv.filter((a) => a !== '--debug');
  const [name, rest] = given ? resolveAlias(given, after) : [given, after];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(topHelp());
    return name ? 0 : 1;
  }
  const entry = commands[name];
  if (!entry) {
    process.stderr.write(`cotrans: unknown command '${name}' (see cotrans --help)\n`);
    return 1;
  }
  try {
    const cmd = await entry.load();
    const args = parseCommandArgs(cmd, rest);
    if (args === 'help') {
      process.stdout.write(helpText(cmd));
      return 0;
    }
    const code = await cmd.run(args);
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    return reportError(name, err, debug);
  }
}

/**
 * What the user sees of an error thrown by a command, and the exit code: a user error is one line
 * naming what and where (exit 1); anything else is ours (exit 2), its stack only under --debug.
 */
export function reportError(name: string, err: unknown, debug = false): number {
  if (isUserError(err)) {
    process.stderr.write(`${oneLine(`cotrans ${name}: ${err.message}`)}\n`);
    return 1;
  }
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  process.stderr.write(`${oneLine(`cotrans ${name}: internal error: ${what}`)}\n${REPORT_HINT}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return 2;
}
