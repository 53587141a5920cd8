// The options every command that talks to a Kafka cluster shares: TLS, SASL, and how to create
// topics (replication factor). The SASL password comes from the environment, never from argv
// (a process list shows argv to every user of the machine).
import { readFileSync } from 'node:fs';
import type { KafkaSecurity } from '@cotrans/ingest';
import type { OptionSpec, ParsedArgs } from './kit.js';
import { UserError, bool, num, str } from './kit.js';

export const PASSWORD_ENV = 'COTRANS_KAFKA_PASSWORD';

/** Copies of each partition for the topics a command creates: 1 suits one broker. */
export const DEFAULT_REPLICATION_FACTOR = 1;

/** TLS and SASL: what every command that connects to a secured cluster takes. */
export const securityOptions: Record<string, OptionSpec> = {
  ssl: { type: 'boolean', help: 'connect with TLS (system CAs unless --ssl-ca)' },
  'ssl-ca': { type: 'string', arg: 'FILE', help: 'PEM file of the CA that signed the brokers\' certificates (implies --ssl)' },
  'ssl-cert': { type: 'string', arg: 'FILE', help: 'PEM client certificate for mutual TLS (with --ssl-key)' },
  'ssl-key': { type: 'string', arg: 'FILE', help: 'PEM private key of --ssl-cert' },
  'sasl-mechanism': { type: 'string', arg: 'MECH', help: `plain, scram-sha-256 or scram-sha-512; the password is read from $${PASSWORD_ENV}` },
  'sasl-username': { type: 'string', arg: 'USER', help: 'SASL user name (with --sasl-mechanism)' },
};

/** Security, and how the topics a command creates are replicated. */
export const clusterOptions: Record<string, OptionSpec> = {
  'replication-factor': { type: 'string', arg: 'N', help: 'copies of each partition for topics this command creates (3 on a cluster of 3 or more brokers)', default: String(DEFAULT_REPLICATION_FACTOR) },
  ...securityOptions,
};

const pem = (args: ParsedArgs, name: string): string | undefined => {
  const f = str(args, name);
  if (f === undefined) return undefined;
  try {
    return readFileSync(f, 'utf8');
  } catch (err) {
    throw new UserError(`--${name} ${f}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
};

export function securityOf(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): KafkaSecurity {
  const out: KafkaSecurity = {};
  const ca = pem(args, 'ssl-ca');
  const cert = pem(args, 'ssl-cert');
  const key = pem(args, 'ssl-key');
  if ((cert === undefined) !== (key === undefined)) throw new UserError('--ssl-cert and --ssl-key go together');
  if (bool(args, 'ssl') || ca || cert) out.ssl = ca || cert ? { ...(ca ? { ca: [ca] } : {}), ...(cert ? { cert, key } : {}) } : true;
  const mech = str(args, 'sasl-mechanism');
  const user = str(args, 'sasl-username');
  if (mech === undefined) {
    if (user !== undefined) throw new UserError('--sasl-username needs --sasl-mechanism');
    return out;
  }
  if (mech !== 'plain' && mech !== 'scram-sha-256' && mech !== 'scram-sha-512') throw new UserError(`invalid --sasl-mechanism '${mech.slice(0, 40)}': plain, scram-sha-256 or scram-sha-512`);
  if (user === undefined) throw new UserError('--sasl-mechanism needs --sasl-username');
  const password = env[PASSWORD_ENV];
  if (!password) throw new UserError(`--sasl-mechanism ${mech}: set the password in $${PASSWORD_ENV}`);
  out.sasl = { mechanism: mech, username: user, password } as KafkaSecurity['sasl'];
  return out;
}

export const replicationOf = (args: ParsedArgs): number => num(args, 'replication-factor', { min: 1, max: 32, integer: true })!;
