// A single-node Apache Kafka (KRaft, broker + controller in one JVM) on 127.0.0.1, run from the
// cached jars. Its home folder holds the config, the data, the log and a pid file, so start, stop
// and status work across processes (the CLI, the test setup, a test that restarts the broker).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import kafkajs from 'kafkajs';
import { UserError } from '@cotrans/core';
import { fetchKafka, KAFKA_VERSION } from './fetch.js';

const { Kafka, logLevel } = kafkajs;

export interface BrokerOptions {
  /** Home folder: config, data/, server.log, broker.pid. */
  dir: string;
  /** Client port (default 9092). */
  port?: number;
  /** Controller port (default port + 1). */
  controllerPort?: number;
  version?: string;
  /** JVM heap, MB (default 512). */
  heapMb?: number;
  /** Give up waiting for readiness after this long (default 60 s). */
  readyTimeoutMs?: number;
  log?: (line: string) => void;
  /** A second listener for TLS + SASL/PLAIN clients, as a secured cluster asks of them. */
  secured?: SecuredListener;
}

/** A SASL_SSL listener: TLS with the broker's PEM key and chain, then SASL/PLAIN with these users. */
export interface SecuredListener {
  port: number;
  /** PEM file holding the broker's private key (PKCS#8, unencrypted) and its certificate chain. */
  keystorePem: string;
  /** User name to password. */
  plainUsers: Record<string, string>;
}

export interface BrokerInfo {
  pid: number;
  /** "127.0.0.1:PORT", for clients. */
  brokers: string;
  port: number;
  controllerPort: number;
  dir: string;
  version: string;
  /** Milliseconds from spawn to a successful metadata call (0 when it was already running). */
  startMs: number;
}

const HOST = '127.0.0.1';

/**
 * A KRaft cluster id: 16 random bytes in URL-safe base64, as Kafka's Uuid prints them, but never
 * starting with '-' (Kafka's Uuid.randomUuid draws again too): the storage tool's argument parser
 * reads `-t -Abc...` as a missing value followed by an option, and formatting fails (1 run in 64).
 */
export function kraftClusterId(bytes: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = bytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function serverProperties(o: { port: number; controllerPort: number; dataDir: string; secured?: SecuredListener }): string {
  const sec = o.secured;
  for (const [u, pw] of Object.entries(sec?.plainUsers ?? {})) {
    // what the JAAS line and the properties file can hold without escapes
    if (!/^[A-Za-z0-9._-]+$/.test(u) || /["\\\r\n]/.test(pw)) throw new UserError(`secured listener: user '${u.slice(0, 40)}': names are letters, digits, '.', '_' or '-', and passwords hold no quote, backslash or line break`);
  }
  const jaas = sec && `org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(sec.plainUsers).map(([u, p]) => `user_${u}=${JSON.stringify(p)}`).join(' ')};`;
  return `# Written by cotrans kafka start. Single node: broker and KRaft controller in one process.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:${o.controllerPort}
listeners=PLAINTEXT://${HOST}:${o.port},CONTROLLER://${HOST}:${o.controllerPort}${sec ? `,SECURED://${HOST}:${sec.port}` : ''}
advertised.listeners=PLAINTEXT://${HOST}:${o.port}${sec ? `,SECURED://${HOST}:${sec.port}` : ''}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${sec ? ',SECURED:SASL_SSL' : ''}
inter.broker.listener.name=PLAINTEXT
log.dirs=${o.dataDir}
# Topics are created explicitly, with their partition counts (cotrans kafka start, ensureTopics).
auto.create.topics.enable=false
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
${
  sec
    ? `listener.name.secured.sasl.enabled.mechanisms=PLAIN
listener.name.secured.plain.sasl.jaas.config=${jaas}
listener.name.secured.ssl.keystore.type=PEM
listener.name.secured.ssl.keystore.location=${sec.keystorePem}
`
    : ''
}`;
}

function log4j2(logFile: string): string {
  return `rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = ${logFile}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
logger.kafkaRequest.name = kafka.request.logger
logger.kafkaRequest.level = WARN
`;
}

interface PidFile {
  pid: number;
  port: number;
  controllerPort: number;
  version: string;
}

function readPid(dir: string): PidFile | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'broker.pid'), 'utf8')) as PidFile;
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and is a Kafka JVM (guards against a recycled pid). */
export function isKafkaProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka');
  } catch {
    return true; // no /proc: trust the signal check
  }
}

/** Resolves when a metadata call to `brokers` succeeds; rejects after `timeoutMs` or when `alive()` turns false. */
export async function waitForBroker(brokers: string, timeoutMs = 60_000, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('the broker process exited');
    const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000 }).admin();
    try {
      await admin.connect();
      const c = await admin.describeCluster();
      if (c.brokers.length > 0 && c.controller !== null) return;
    } catch (err) {
      lastErr = err;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no answer from ${brokers} within ${timeoutMs} ms (${(lastErr as Error)?.message ?? 'timeout'})`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, HOST, () => s.close(() => res(true)));
  });
}

/** A free TCP port on 127.0.0.1 (for tests). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, HOST, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function logTail(dir: string, n = 6): string {
  for (const f of ['broker.out', 'server.log']) {
    try {
      const lines = readFileSync(join(dir, f), 'utf8').trim().split('\n');
      const errs = lines.filter((l) => /ERROR|Exception|Error:/.test(l));
      const pick = (errs.length ? errs : lines).slice(-n);
      if (pick.length) return pick.join(' | ').slice(0, 800);
    } catch {
      /* next */
    }
  }
  return '(no log)';
}

/** Starts the broker (formatting KRaft storage on first use) and waits until it answers metadata calls. */
export async function startBroker(opts: BrokerOptions): Promise<BrokerInfo> {
  const dir = resolve(opts.dir);
  const port = opts.port ?? 9092;
  // The controller port only matters inside this one-node broker: when PORT+1 is taken (a client
  // socket's TIME_WAIT, say; ephemeral ports are handed out right next to listeners) take a free one.
  let controllerPort = opts.controllerPort ?? port + 1;
  const version = opts.version ?? KAFKA_VERSION;
  const running = readPid(dir);
  if (running && isKafkaProcess(running.pid)) {
    if (running.port !== port) throw new UserError(`a broker from ${dir} already runs on port ${running.port} (pid ${running.pid}); stop it first`);
    await waitForBroker(`${HOST}:${port}`, opts.readyTimeoutMs ?? 60_000, () => isKafkaProcess(running.pid));
    return { pid: running.pid, brokers: `${HOST}:${port}`, port, controllerPort: running.controllerPort, dir, version: running.version, startMs: 0 };
  }
  if (opts.controllerPort === undefined && !(await portFree(controllerPort))) controllerPort = await freePort();
  for (const p of [port, controllerPort, ...(opts.secured ? [opts.secured.port] : [])]) {
    if (!(await portFree(p))) throw new UserError(`port ${p} on ${HOST} is in use (choose another with --port)`);
  }
  const libs = await fetchKafka({ version, log: opts.log });
  const dataDir = join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const props = join(dir, 'server.properties');
  const logProps = join(dir, 'log4j2.properties');
  await writeFile(props, serverProperties({ port, controllerPort, dataDir, ...(opts.secured ? { secured: opts.secured } : {}) }));
  await writeFile(logProps, log4j2(join(dir, 'server.log')));
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const cp = `${libs}/*`;
  const jvm = [`-Xms128m`, `-Xmx${opts.heapMb ?? 512}m`, '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${logProps}`, '-cp', cp];

  if (!existsSync(join(dataDir, 'meta.properties'))) {
    const clusterId = kraftClusterId();
    opts.log?.(`formatting KRaft storage in ${dataDir} (cluster ${clusterId})`);
    const { run } = await import('./fetch.js');
    let res;
    try {
      res = await run(java, [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`java not found ('${java}'): install a JDK 17+ (apt-get install openjdk-17-jre-headless)`);
      throw err;
    }
    if (res.code !== 0) throw new Error(`formatting KRaft storage failed: ${res.out.trim().split('\n').slice(-3).join(' | ')}`);
  }

  const outFd = openSync(join(dir, 'broker.out'), 'a');
  const t0 = performance.now();
  const child = spawn(java, [...jvm, 'kafka.Kafka', props], { detached: true, stdio: ['ignore', outFd, outFd] });
  closeSync(outFd);
  let exited = false;
  child.on('exit', () => (exited = true));
  const spawnErr = await new Promise<Error | undefined>((res) => {
    child.once('error', res);
    child.once('spawn', () => res(undefined));
  });
  if (spawnErr) throw (spawnErr as NodeJS.ErrnoException).code === 'ENOENT' ? new UserError(`java not found ('${java}'): install a JDK 17+`) : spawnErr;
  child.unref();
  const pid = child.pid!;
  await writeFile(join(dir, 'broker.pid'), JSON.stringify({ pid, port, controllerPort, version } satisfies PidFile));
  try {
    await waitForBroker(`${HOST}:${port}`, opts.readyTimeoutMs ?? 60_000, () => !exited);
  } catch (err) {
    if (!exited) process.kill(pid, 'SIGKILL');
    await rm(join(dir, 'broker.pid'), { force: true });
    throw new Error(`Kafka did not become ready: ${(err as Error).message}; log: ${logTail(dir)}`, { cause: err });
  }
  return { pid, brokers: `${HOST}:${port}`, port, controllerPort, dir, version, startMs: Math.round(performance.now() - t0) };
}

/** Stops the broker of `dir` cleanly (SIGTERM, then SIGKILL after `timeoutMs`). False when none ran. */
export async function stopBroker(dir: string, opts: { timeoutMs?: number } = {}): Promise<boolean> {
  const home = resolve(dir);
  const info = readPid(home);
  if (!info || !isKafkaProcess(info.pid)) {
    await rm(join(home, 'broker.pid'), { force: true });
    return false;
  }
  process.kill(info.pid, 'SIGTERM');
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (isKafkaProcess(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isKafkaProcess(info.pid)) {
    process.kill(info.pid, 'SIGKILL');
    while (isKafkaProcess(info.pid)) await new Promise((r) => setTimeout(r, 50));
  }
  await rm(join(home, 'broker.pid'), { force: true });
  return true;
}

export interface BrokerStatus {
  running: boolean;
  pid?: number;
  brokers?: string;
  version?: string;
  /** Answered a metadata call. */
  ready?: boolean;
  topics?: { topic: string; partitions: number }[];
}

export async function brokerStatus(dir: string): Promise<BrokerStatus> {
  const info = readPid(resolve(dir));
  if (!info || !isKafkaProcess(info.pid)) return { running: false };
  const brokers = `${HOST}:${info.port}`;
  const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 1 }, connectionTimeout: 2000 }).admin();
  try {
    await admin.connect();
    const md = await admin.fetchTopicMetadata();
    const topics = md.topics.filter((t) => !t.name.startsWith('__')).map((t) => ({ topic: t.name, partitions: t.partitions.length })).sort((a, b) => a.topic.localeCompare(b.topic));
    return { running: true, pid: info.pid, brokers, version: info.version, ready: true, topics };
  } catch {
    return { running: true, pid: info.pid, brokers, version: info.version, ready: false };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Reads a broker home's pid file without touching the process (for tests and tools). */
export async function brokerHome(dir: string): Promise<PidFile | undefined> {
  try {
    return JSON.parse(await readFile(join(resolve(dir), 'broker.pid'), 'utf8')) as PidFile;
  } catch {
    return undefined;
  }
}
