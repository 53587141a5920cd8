// Test helpers shared by several packages' tests (a devDependency only; product code never imports it).
export { captureRun, type RunResult } from './run.js';
export { tempDir, writeIn } from './files.js';
export { sqliteCounter } from './counters.js';
export { seededSample } from './samples.js';
