// Stage 5 of a vehicle's window: stay points (Li et al. 2008), the trips between them, and sessions
// (fixes no more than maxGapS apart, moving or waiting), one clean fix (cand) at a time.
import { M_PER_DEG_LAT } from './geo.js';
import type { ResolvedOptions } from './options.js';
import { DayAggregation } from './window-days.js';

/** Trips shorter than this are GPS wander between stays, not trips (m). */
export const MIN_TRIP_M = 250;
/** A session at least this long is a shift (s): a private trip rarely lasts two hours, a platform shift does. */
export const SHIFT_SESSION_S = 2 * 3600;

export abstract class StaysAndTrips extends DayAggregation {
  // the stay being built: its anchor fix, first and last fix times, and the sum of its positions
  protected hasAnchor = 0;
  protected anchorLat = 0;
  protected anchorLon = 0;
  protected stayStart = 0;
  protected stayLast = 0;
  protected staySumLat = 0;
  protected staySumLon = 0;
  protected stayFixes = 0;
  /** Trip length when the stay started and at its last fix (m). */
  protected lenAtStart = 0;
  protected lenAtLast = 0;
  protected tripStart = 0;
  protected tripLen = 0;
  /** Start of the current session: fixes no more than maxGapS apart, moving or waiting. */
  protected sessStart = 0;

  private readonly stayR2: number;

  constructor(vehicleId: string, opts: ResolvedOptions) {
    super(vehicleId, opts);
    this.stayR2 = opts.stayRadiusM * opts.stayRadiusM;
  }

  protected startTracks(): void {
    this.tripStart = this.candTs;
    this.sessStart = this.candTs;
  }

  protected breakSession(): void {
    this.closeSession(this.aggTs);
    this.sessStart = this.candTs;
  }

  protected stayStep(): void {
    const ts = this.candTs;
    const lat = this.candLat;
    const lon = this.candLon;
    const dq = this.prevToCandM;
    if (!this.hasAnchor) {
      this.newAnchor();
      return;
    }
    const gap = ts - this.aggTs > this.maxGapMs;
    if (gap && dq > this.opts.stayRadiusM) {
      // whereabouts unknown during the gap: close what was open, end the trip at the last fix
      this.closeStay();
      this.emitTrip(this.tripStart, this.aggTs, this.tripLen);
      this.tripStart = ts;
      this.tripLen = 0;
      this.newAnchor();
      return;
    }
    if (!gap) this.tripLen += dq;
    // planar distance to the anchor (the vehicle's fixed projection): no trigonometry per fix
    const ax = (lon - this.anchorLon) * this.mPerDegLonRef;
    const ay = (lat - this.anchorLat) * M_PER_DEG_LAT;
    if (ax * ax + ay * ay <= this.stayR2) {
      this.stayLast = ts;
      this.lenAtLast = this.tripLen;
      this.staySumLat += lat;
      this.staySumLon += lon;
      this.stayFixes++;
    } else {
      this.closeStay();
      this.newAnchor();
    }
  }

  /** A new stay anchor at the fix in hand (cand). */
  private newAnchor(): void {
    const ts = this.candTs;
    const lat = this.candLat;
    const lon = this.candLon;
    this.hasAnchor = 1;
    this.anchorLat = lat;
    this.anchorLon = lon;
    this.stayStart = this.stayLast = ts;
    this.staySumLat = lat;
    this.staySumLon = lon;
    this.stayFixes = 1;
    this.lenAtStart = this.lenAtLast = this.tripLen;
  }

  private closeStay(): void {
    if (!this.hasAnchor || (this.stayLast - this.stayStart) / 1000 < this.opts.stayMinS) return;
    this.emitTrip(this.tripStart, this.stayStart, this.lenAtStart);
    const d = this.days.get(this.clock.dayOf(this.stayStart));
    if (d) d.stays.push(this.staySumLat / this.stayFixes, this.staySumLon / this.stayFixes, this.stayStart, this.stayLast);
    this.tripStart = this.stayLast;
    this.tripLen -= this.lenAtLast;
    this.hasAnchor = 0;
  }

  /** The session that started at sessStart ended at endTs: it counts on the day it started. */
  private closeSession(endTs: number): void {
    // 0: restored from a snapshot written before sessions were kept
    if (!(this.sessStart > 0)) return;
    const d = this.days.get(this.clock.dayOf(this.sessStart));
    if (!d) return;
    const s = (endTs - this.sessStart) / 1000;
    if (s > d.sessionMaxS) d.sessionMaxS = s;
    if (s >= SHIFT_SESSION_S) d.longSessions++;
  }

  private emitTrip(start: number, end: number, lenM: number): void {
    if (!(end > start) || lenM < MIN_TRIP_M) return;
    const d = this.days.get(this.clock.dayOf(start));
    if (!d) return;
    d.trips++;
    d.tripLenM += lenM;
    d.tripDurS += (end - start) / 1000;
  }

  /** The last fix ends what is open: its stay, its trip and its session. */
  protected closeTracks(): void {
    if (!this.hasAgg) return;
    this.closeStay();
    this.emitTrip(this.tripStart, this.aggTs, this.tripLen);
    this.closeSession(this.aggTs);
  }
}
