// Starts one real Apache Kafka broker for the `kafka` test project: a free port, a temp home, then
// stops it and removes the home. Tests find it through inject('kafkaBrokers') or COTRANS_TEST_BROKERS.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type {} from 'vitest';
import { startBroker, stopBroker, freePort } from '../src/kafka/broker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    /** The broker's home folder, for tests that stop and restart it. */
    kafkaHome: string;
    kafkaPort: number;
    kafkaControllerPort: number;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const home = await mkdtemp(join(tmpdir(), 'cotrans-kafka-test-'));
  const port = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  const info = await startBroker({ dir: home, port, controllerPort, heapMb: 512 });
  process.stderr.write(`[kafka] test broker ${info.brokers} (Kafka ${info.version}) ready in ${info.startMs} ms, home ${home}\n`);
  project.provide('kafkaBrokers', info.brokers);
  project.provide('kafkaHome', home);
  project.provide('kafkaPort', port);
  project.provide('kafkaControllerPort', controllerPort);
  process.env.COTRANS_TEST_BROKERS = info.brokers;
  return async () => {
    await stopBroker(home);
    await rm(home, { recursive: true, force: true });
  };
}
