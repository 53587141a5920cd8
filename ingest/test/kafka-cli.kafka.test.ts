// `cotrans kafka start|status|stop` on its own home and port: a second, short-lived broker.
import { afterAll, expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopBroker } from '@cotrans/ingest';
import { cliBin } from './helpers/kafka.js';

const run = promisify(execFile);
const home = mkdtempSync(join(tmpdir(), 'cotrans-kafka-cli-'));
afterAll(async () => {
  await stopBroker(home).catch(() => undefined);
  rmSync(home, { recursive: true, force: true });
});

test('kafka start creates the topics (its controller elsewhere when PORT+1 is taken), status lists them, stop shuts the broker down', async () => {
  // PORT+1 held by another listener: the controller takes a free port instead of failing the start
  let port = 0;
  let blocker: Server | undefined;
  while (!blocker) {
    port = await freePort();
    blocker = await new Promise<Server | undefined>((res) => {
      const s = createServer();
      s.once('error', () => res(undefined));
      s.listen(port + 1, '127.0.0.1', () => res(s));
    });
  }
  const start = await run(process.execPath, [cliBin(), 'kafka', 'start', '--dir', home, '--port', String(port), '--partitions', '3', '--heap-mb', '256']).finally(() => blocker.close());
  const pid = JSON.parse(readFileSync(join(home, 'broker.pid'), 'utf8'));
  expect(pid.port).toBe(port);
  expect(pid.controllerPort).not.toBe(port + 1);
  expect(start.stdout).toMatch(new RegExp(`^Kafka \\d+\\.\\d+\\.\\d+ ready in [\\d.]+ s on 127\\.0\\.0\\.1:${port}`));
  expect(start.stdout).toContain('created topics: gps.points, gps.points.dlq, vehicle.labels');
  const again = await run(process.execPath, [cliBin(), 'kafka', 'start', '--dir', home, '--port', String(port)]);
  expect(again.stdout).toContain('already running');
  const status = await run(process.execPath, [cliBin(), 'kafka', 'status', '--dir', home]);
  expect(status.stdout).toContain(`on 127.0.0.1:${port}`);
  expect(status.stdout).toContain('gps.points (3 partitions)');
  expect(status.stdout).toContain('gps.points.dlq (1 partition)');
  const stop = await run(process.execPath, [cliBin(), 'kafka', 'stop', '--dir', home]);
  expect(stop.stdout).toBe(`Kafka stopped (home ${home})\n`);
  const after = await run(process.execPath, [cliBin(), 'kafka', 'status', '--dir', home]).catch((e) => e);
  expect(after.code).toBe(1);
  expect(after.stdout).toBe(`not running (home ${home})\n`);
}, 120_000);
