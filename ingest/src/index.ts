export type { GpsPoint } from './point.js';
