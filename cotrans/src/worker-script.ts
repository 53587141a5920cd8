// Where a worker thread's entry module is: next to the module that starts it, as .js in built code.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export interface WorkerScript {
  url: URL;
  execArgv: string[];
}

/**
 * `name`.js next to `moduleUrl` when running built code. Under a TypeScript runner (vitest on src/)
 * it is `name`.ts, startable only through tsx; without tsx, null (the caller works in-thread).
 */
export function workerScriptNextTo(moduleUrl: string, name: string): WorkerScript | null {
  if (fileURLToPath(moduleUrl).endsWith('.js')) {
    const url = new URL(`./${name}.js`, moduleUrl);
    return existsSync(fileURLToPath(url)) ? { url, execArgv: [] } : null;
  }
  const url = new URL(`./${name}.ts`, moduleUrl);
  try {
    createRequire(moduleUrl).resolve('tsx');
    return { url, execArgv: ['--import', 'tsx'] };
  } catch {
    return null;
  }
}
