// Fetches Apache Kafka (broker, KRaft, perf tools) and one logging binding from Maven Central with
// Maven, once; later starts use the cached jars and need no network.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '@cotrans/core';
import { kafkaCacheDir, kafkaPom } from './paths.js';

/**
 * The Kafka line we run. 4.x (KIP-896 removed only protocol versions older than those kafkajs 2.2
 * negotiates); the kafka-tagged tests pass against it. 3.9.x would be the fallback.
 */
export const KAFKA_VERSION = process.env.COTRANS_KAFKA_VERSION ?? '4.4.0';

export function kafkaLibsDir(version = KAFKA_VERSION): string {
  return join(kafkaCacheDir(), version, 'libs');
}

const MARKER = '.complete';

export function isKafkaFetched(version = KAFKA_VERSION): boolean {
  return existsSync(join(kafkaLibsDir(version), MARKER));
}

export function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    let out = '';
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** Makes sure the jars of `version` are cached; returns the libs folder. Runs Maven only the first time. */
export async function fetchKafka(opts: { version?: string; force?: boolean; log?: (line: string) => void } = {}): Promise<string> {
  const version = opts.version ?? KAFKA_VERSION;
  const libs = kafkaLibsDir(version);
  if (!opts.force && isKafkaFetched(version)) return libs;
  const mvn = process.env.MVN ?? 'mvn';
  const tmp = `${libs}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  opts.log?.(`fetching org.apache.kafka:kafka_2.13:${version} and kafka-tools with Maven into ${libs}`);
  let res;
  try {
    res = await run(mvn, ['-q', '-B', '-f', kafkaPom(), 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`, '-DincludeScope=runtime', `-Dkafka.version=${version}`]);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`Maven ('${mvn}') not found: install it (apt-get install maven) to fetch the Kafka jars`);
    throw err;
  }
  if (res.code !== 0) {
    await rm(tmp, { recursive: true, force: true });
    const tail = res.out.trim().split('\n').filter((l) => /ERROR/.test(l)).slice(0, 3).join(' | ') || res.out.trim().split('\n').slice(-3).join(' | ');
    throw new UserError(`Maven could not fetch Kafka ${version} (exit ${res.code}): ${tail.slice(0, 400)}`);
  }
  const jars = (await readdir(tmp)).filter((f) => f.endsWith('.jar'));
  if (!jars.some((j) => j.startsWith('kafka_2.13-'))) throw new Error(`Maven finished but kafka_2.13 is missing from ${tmp}`);
  await writeFile(join(tmp, MARKER), `${version}\n${jars.length} jars\n`);
  await rm(libs, { recursive: true, force: true });
  await rename(tmp, libs);
  return libs;
}
