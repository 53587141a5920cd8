// Cells of a fixed metric size on a per-vehicle planar grid, packed into one small integer
// (a V8 Smi, so Maps and Sets of cells stay fast). Coordinates are relative to the vehicle's
// reference cell; SPAN/2 cells each way (16,384 km at 1 km cells) is plenty.
export const SPAN = 32768;
export const HALF = SPAN / 2;

export function packCell(cx: number, cy: number): number {
  return (cx + HALF) * SPAN + (cy + HALF);
}
export function cellX(key: number): number {
  return Math.floor(key / SPAN) - HALF;
}
export function cellY(key: number): number {
  return (key % SPAN) - HALF;
}
/** Neighbour offsets in packed form: right, left, up (north), down. */
export const SHIFTS: readonly number[] = [SPAN, -SPAN, 1, -1];
export function inRange(cx: number, cy: number): boolean {
  return cx > -HALF && cx < HALF - 1 && cy > -HALF && cy < HALF - 1;
}
