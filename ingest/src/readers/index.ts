export { readPoints, readAllPoints, listLogFiles, type ReadOptions, type ReadSummary, type PointReader } from './read-points.js';
export { detectFormat, LOG_FORMATS, type LogFormat, type ConcreteFormat } from './formats.js';
export { parseTimestamp, type NaiveTime } from './timestamp.js';
export { openLines } from './lines.js';
export { summaryLines, summaryRecord, nothingUsable, SUMMARY_SAMPLES } from './summary.js';
