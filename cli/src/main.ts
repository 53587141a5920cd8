import { commands } from './commands/index.js';
import { helpText, isUserError, parseCommandArgs } from './kit.js';

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
    '',
    'Examples:',
    '  cotrans demo                                   # simulate, replay, classify, serve the dashboard',
    '  cotrans simulate --preset target --vehicles 200 --out /tmp/target',
    '  cotrans features /tmp/target/points.csv.gz --tz Europe/Berlin --out /tmp/features.csv',
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
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
    if (isUserError(err)) {
      process.stderr.write(`cotrans ${name}: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`cotrans ${name}: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    return 2;
  }
}
