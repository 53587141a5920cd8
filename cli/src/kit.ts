// Conventions shared by every `cotrans` command: long options only, `--help` everywhere,
// exit 0 on success, 1 on a user error (one line naming what and where), 2 on an internal error.
import { parseArgs } from 'node:util';
import { UserError, isUserError, timeZoneOption } from '@cotrans/core';

export { UserError, isUserError };

export type OptionSpec = {
  type: 'string' | 'boolean';
  /** One line for --help; the placeholder, e.g. "FILE", is shown after the option. */
  help: string;
  arg?: string;
  default?: string | boolean;
  multiple?: boolean;
};

export interface Command {
  name: string;
  summary: string;
  /** e.g. "cotrans simulate --preset source|target --out DIR [options]" */
  usage: string;
  options: Record<string, OptionSpec>;
  examples: string[];
  /** Extra help text after the options (what the command writes, notes). */
  details?: string;
  /** Allows positional arguments (e.g. an input file). */
  positionals?: { name: string; help: string; min?: number; max?: number };
  run(args: ParsedArgs): Promise<number | void>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function helpText(cmd: Command): string {
  const lines = [`${cmd.summary}`, '', `Usage: ${cmd.usage}`, ''];
  if (cmd.positionals) lines.push(`Arguments:`, `  ${cmd.positionals.name.padEnd(28)} ${cmd.positionals.help}`, '');
  lines.push('Options:');
  const opts = { ...cmd.options, help: { type: 'boolean', help: 'show this help' } as OptionSpec };
  for (const [name, spec] of Object.entries(opts)) {
    const left = `--${name}${spec.type === 'string' ? ` ${spec.arg ?? 'VALUE'}` : ''}`;
    const def = spec.default !== undefined && spec.default !== false ? ` (default: ${spec.default})` : '';
    lines.push(`  ${left.padEnd(28)} ${spec.help}${def}`);
  }
  if (cmd.details) lines.push('', cmd.details.trimEnd());
  if (cmd.examples.length) lines.push('', 'Examples:', ...cmd.examples.map((e) => `  ${e}`));
  return lines.join('\n') + '\n';
}

/** Parses argv for one command; unknown options and missing values become UserErrors naming the option. */
export function parseCommandArgs(cmd: Command, argv: string[]): ParsedArgs | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; default?: string | boolean }> = {};
  for (const [name, spec] of Object.entries(cmd.options)) {
    options[name] = { type: spec.type, ...(spec.multiple ? { multiple: true } : {}), ...(spec.default !== undefined ? { default: spec.default } : {}) };
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: !!cmd.positionals, strict: true });
    const min = cmd.positionals?.min ?? 0;
    const max = cmd.positionals?.max ?? Infinity;
    if (cmd.positionals && positionals.length < min) throw new UserError(`missing ${cmd.positionals.name} (see cotrans ${cmd.name} --help)`);
    if (positionals.length > max) throw new UserError(`unexpected argument '${positionals[max]}' (see cotrans ${cmd.name} --help)`);
    return { values: values as ParsedArgs['values'], positionals };
  } catch (err) {
    if (isUserError(err)) throw err;
    // node:util's messages already name the option, e.g. "Unknown option '--foo'".
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new UserError(`${msg.replace(/\. To specify.*$/, '')} (see cotrans ${cmd.name} --help)`);
  }
}

/** Reads a string option, throwing a UserError naming it when required and absent. */
export function str(args: ParsedArgs, name: string, required: true): string;
export function str(args: ParsedArgs, name: string, required?: false): string | undefined;
export function str(args: ParsedArgs, name: string, required = false): string | undefined {
  const v = args.values[name];
  if (v === undefined || v === '') {
    if (required) throw new UserError(`missing required option --${name}`);
    return undefined;
  }
  if (typeof v !== 'string') throw new UserError(`option --${name} takes a value`);
  return v;
}

/** A numeric option with bounds; the error names the option and the bad value. */
export function num(
  args: ParsedArgs,
  name: string,
  opts: { def?: number; min?: number; max?: number; integer?: boolean } = {},
): number | undefined {
  const raw = str(args, name);
  if (raw === undefined) return opts.def;
  const v = Number(raw);
  const bad = (why: string) => new UserError(`invalid --${name} '${raw}': ${why}`);
  if (!Number.isFinite(v)) throw bad('not a number');
  if (opts.integer && !Number.isInteger(v)) throw bad('must be an integer');
  if (opts.min !== undefined && v < opts.min) throw bad(`must be >= ${opts.min}`);
  if (opts.max !== undefined && v > opts.max) throw bad(`must be <= ${opts.max}`);
  return v;
}

/** A repeatable option (`multiple: true`): its values in order; at least one. */
export function list(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  const all = (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string' && x !== '');
  if (!all.length) throw new UserError(`missing required option --${name}`);
  return all;
}

export function bool(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/** An IANA time zone option, checked (undefined passes). */
export function timeZone(args: ParsedArgs, name = 'tz'): string | undefined {
  const tz = str(args, name);
  return tz === undefined ? undefined : timeZoneOption(tz, name);
}
