// Stages 2 and 3 of a vehicle's window, on the fixes the reorder buffer releases in order:
//  - duplicates: same ts+position as the previous fix = exact, closer than nearDuplicateMs = near;
//  - impossible jumps, judged against both neighbours: a fix is dropped when the implied speed from
//    its previous kept fix exceeds maxSpeedKmh and either the speed on to the next fix also does or
//    the previous->next hop is plausible without it (a one-fix spike; a lasting relocation is kept).
//    The first and last fixes have one neighbour and are kept.
import { distanceM } from './geo.js';
import type { ResolvedOptions } from './options.js';
import { ReorderBuffer } from './window-reorder.js';

export abstract class FixFilters extends ReorderBuffer {
  // duplicate stage: the last fix that passed it
  protected hasLast = 0;
  protected lastTs = 0;
  protected lastLat = 0;
  protected lastLon = 0;

  // jump stage: prev = last accepted fix, cand = fix waiting for its next neighbour
  protected hasPrev = 0;
  protected prevTs = 0;
  protected prevLat = 0;
  protected prevLon = 0;
  protected hasCand = 0;
  protected candTs = 0;
  protected candLat = 0;
  protected candLon = 0;
  /** Distance from the previous accepted fix to the candidate (m). */
  protected prevToCandM = 0;

  private readonly nearDupMs: number;
  private readonly maxMps: number;

  constructor(vehicleId: string, opts: ResolvedOptions) {
    super(vehicleId, opts);
    this.nearDupMs = opts.nearDuplicateMs;
    this.maxMps = opts.maxSpeedKmh / 3.6;
  }

  /** The next stage: the candidate fix is clean; prevToCandM is its distance from the previous clean fix. */
  protected abstract aggregate(): void;

  protected release(h: number): void {
    const ts = this.bufTs[h];
    const lat = this.bufLat[h];
    const lon = this.bufLon[h];
    if (this.hasLast) {
      const dt = ts - this.lastTs;
      if (dt === 0 && lat === this.lastLat && lon === this.lastLon) {
        this.counts.exactDuplicates++;
        return;
      }
      if (dt < this.nearDupMs) {
        this.counts.nearDuplicates++;
        return;
      }
    }
    this.hasLast = 1;
    this.lastTs = ts;
    this.lastLat = lat;
    this.lastLon = lon;

    if (!this.hasCand) {
      this.hasCand = 1;
      this.candTs = ts;
      this.candLat = lat;
      this.candLon = lon;
      if (this.hasPrev) this.prevToCandM = distanceM(this.prevLat, this.prevLon, lat, lon);
      return;
    }
    const candToNextM = distanceM(this.candLat, this.candLon, lat, lon);
    if (this.hasPrev) {
      const maxMps = this.maxMps;
      // a spike: too fast to reach from the previous kept fix, and either too fast to leave for
      // the next fix or the track is plausible without it (a spike before a long interval)
      if (
        this.prevToCandM > maxMps * ((this.candTs - this.prevTs) / 1000) &&
        (candToNextM > maxMps * ((ts - this.candTs) / 1000) || distanceM(this.prevLat, this.prevLon, lat, lon) <= maxMps * ((ts - this.prevTs) / 1000))
      ) {
        // the candidate is a spike: drop it; the new fix becomes the candidate
        this.counts.jumps++;
        this.candTs = ts;
        this.candLat = lat;
        this.candLon = lon;
        this.prevToCandM = distanceM(this.prevLat, this.prevLon, lat, lon);
        return;
      }
    }
    this.aggregate();
    this.hasPrev = 1;
    this.prevTs = this.candTs;
    this.prevLat = this.candLat;
    this.prevLon = this.candLon;
    this.candTs = ts;
    this.candLat = lat;
    this.candLon = lon;
    this.prevToCandM = candToNextM;
  }

  /** The last candidate has no next neighbour: it is kept. */
  protected flushCandidate(): void {
    if (!this.hasCand) return;
    this.aggregate();
    this.hasCand = 0;
  }
}
