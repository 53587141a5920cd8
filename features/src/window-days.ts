// Stage 4 of a vehicle's window: each clean fix into its local day's aggregates (see day.ts):
// points, radius of gyration, map cells per period of the day, distance, driving and engine time,
// speeds, and time per image cell; days older than windowDays slide out.
import { DAY_MS, HOUR_MS, clockFor, type LocalClock } from './clock.js';
import { newDay, SPEED_BIN_KMH, SPEED_BINS, type DayAgg } from './day.js';
import { M_PER_DEG_LAT, mPerDegLon } from './geo.js';
import { inRange, packCell } from './grid.js';
import type { ResolvedOptions } from './options.js';
import { FixFilters } from './window-filters.js';

/** Below this implied speed a segment is a stop, not driving (km/h). */
export const MOVING_KMH = 5;
const NIGHT_END_HOUR = 5;

export abstract class DayAggregation extends FixFilters {
  protected readonly clock: LocalClock;

  // the last aggregated fix
  protected hasAgg = 0;
  protected aggTs = 0;
  protected aggDay = 0;
  protected aggHour = 0;
  /** Its time zone offset (ms). */
  protected aggOffsetMs = 0;
  /** Its image cell (-1: none). */
  protected aggImg = -1;
  // the vehicle's first fix: the origin of its planar coordinates
  protected hasRef = 0;
  protected refLat = 0;
  protected refLon = 0;
  /** Metres per degree of longitude at the first fix. */
  protected mPerDegLonRef = 0;
  protected readonly days = new Map<number, DayAgg>();
  protected cur: DayAgg | null = null;
  protected curDay = 0;
  protected minDay = 0;
  // a run of stay time in one image cell, added to the day's map when the cell changes
  protected hasPend = 0;
  protected pendKey = 0;
  protected pendDay = 0;
  protected pendS = 0;

  private memoKey = -1;
  private memoPeriod = -1;
  private memoDay: DayAgg | null = null;

  private readonly mapK: number;
  private readonly imgK: number;
  protected readonly maxGapMs: number;

  constructor(vehicleId: string, opts: ResolvedOptions) {
    super(vehicleId, opts);
    this.clock = clockFor(opts.tz);
    this.mapK = 1 / opts.mapCellM;
    this.imgK = 1 / opts.imageCellM;
    this.maxGapMs = opts.maxGapS * 1000;
  }

  /** The stays-and-trips stage, on the fix in hand (cand). */
  protected abstract stayStep(): void;
  /** The first clean fix: trips and sessions start at the candidate. */
  protected abstract startTracks(): void;
  /** A gap ended the session at the last aggregated fix; the next starts at the candidate. */
  protected abstract breakSession(): void;

  protected dayAgg(day: number): DayAgg {
    if (this.cur && day === this.curDay) return this.cur;
    let d = this.days.get(day);
    if (!d) {
      if (this.days.size === 0) this.minDay = day;
      const oldest = day - this.opts.windowDays + 1;
      if (this.minDay < oldest) {
        for (const [k, v] of this.days) {
          if (k < oldest) {
            this.counts.outOfWindow += v.nPoints;
            this.days.delete(k);
          }
        }
        this.minDay = oldest;
      }
      d = newDay(day);
      this.days.set(day, d);
    }
    this.cur = d;
    this.curDay = day;
    return d;
  }

  protected aggregate(): void {
    const ts = this.candTs;
    const lat = this.candLat;
    const lon = this.candLon;
    this.counts.kept++;
    if (!this.hasRef) {
      this.hasRef = 1;
      this.refLat = lat;
      this.refLon = lon;
      this.mPerDegLonRef = mPerDegLon(lat);
      this.startTracks();
    }
    const off = this.clock.offsetMs(ts);
    const local = ts + off;
    const day = Math.floor(local / DAY_MS);
    const hour = Math.floor((local - day * DAY_MS) / HOUR_MS);
    const d = this.dayAgg(day);
    d.nPoints++;
    // planar coordinates relative to the vehicle's first fix
    const x = (lon - this.refLon) * this.mPerDegLonRef;
    const y = (lat - this.refLat) * M_PER_DEG_LAT;
    d.rgSx += x;
    d.rgSy += y;
    d.rgSxx += x * x + y * y;
    d.lastLat = lat;
    d.lastLon = lon;
    // cells are centred on the first fix (often the home): a parked car is not split over four cells
    const mcx = Math.floor(x * this.mapK + 0.5);
    const mcy = Math.floor(y * this.mapK + 0.5);
    if (inRange(mcx, mcy)) {
      const key = packCell(mcx, mcy);
      const period = (hour / 6) | 0;
      // consecutive fixes mostly share a cell: skip the Set when nothing changed (adding is idempotent,
      // so this memo needs no place in the snapshot)
      if (key !== this.memoKey || period !== this.memoPeriod || d !== this.memoDay) {
        d.periods[period].add(key);
        this.memoKey = key;
        this.memoPeriod = period;
        this.memoDay = d;
      }
    }
    let img = -1;
    if (this.opts.images) {
      if (this.opts.frame === 'vehicle') {
        const icx = Math.floor(x * this.imgK + 0.5);
        const icy = Math.floor(y * this.imgK + 0.5);
        if (inRange(icx, icy)) img = packCell(icx, icy);
      } else {
        const b = this.opts.bbox!;
        const s = this.opts.imageSize;
        const col = Math.floor(((lon - b[0]) / (b[2] - b[0])) * s);
        const row = Math.floor(((b[3] - lat) / (b[3] - b[1])) * s);
        if (col >= 0 && col < s && row >= 0 && row < s) img = row * s + col;
      }
    }

    if (this.hasAgg) this.segment(day, off);
    this.stayStep();

    this.hasAgg = 1;
    this.aggTs = ts;
    this.aggDay = day;
    this.aggHour = hour;
    this.aggOffsetMs = off;
    this.aggImg = img;
  }

  /** The interval from the last aggregated fix to this one (cand). */
  private segment(day: number, off: number): void {
    const ts = this.candTs;
    const dist = this.prevToCandM;
    const dtMs = ts - this.aggTs;
    const dt = dtMs / 1000;
    const qd = this.aggDay === day ? this.cur : this.days.get(this.aggDay);
    if (dtMs <= this.maxGapMs) {
      const kmh = (dist / dt) * 3.6;
      // slower than MOVING_KMH is GPS wander around a parked car, not distance travelled
      if (qd && kmh >= MOVING_KMH) {
        qd.distM += dist;
        qd.movingS += dt;
        qd.hourMask |= 1 << this.aggHour;
        if (this.aggHour < NIGHT_END_HOUR) qd.nightMovingS += dt;
        const bin = Math.floor(kmh / SPEED_BIN_KMH);
        qd.speedHist[bin < SPEED_BINS ? bin : SPEED_BINS - 1] += dt;
      }
      if (qd) qd.engineS += dt;
      this.creditTime(qd, day, off);
    } else {
      this.counts.gaps++;
      this.breakSession();
      // a long silence without moving is a parked car with the unit off: that is stay time
      if (dist <= this.opts.stayRadiusM) this.creditTime(qd, day, off);
    }
  }

  /** Time from the last aggregated fix to ts is spent in its cell; split at local midnight (days without fixes get none). */
  private creditTime(qd: DayAgg | null | undefined, day: number, off: number): void {
    const ts = this.candTs;
    if (this.aggDay === day) {
      if (qd) {
        const s = (ts - this.aggTs) / 1000;
        qd.observedS += s;
        this.addTime(this.aggDay, this.aggImg, s);
      }
      return;
    }
    if (qd) {
      const endQ = (this.aggDay + 1) * DAY_MS - this.aggOffsetMs;
      const s = (Math.min(ts, endQ) - this.aggTs) / 1000;
      qd.observedS += s;
      this.addTime(this.aggDay, this.aggImg, s);
    }
    const startP = day * DAY_MS - off;
    const s2 = (ts - Math.max(this.aggTs, startP)) / 1000;
    if (s2 > 0) {
      this.cur!.observedS += s2;
      this.addTime(day, this.aggImg, s2);
    }
  }

  private addTime(day: number, key: number, s: number): void {
    if (key < 0 || !this.opts.images) return;
    if (this.hasPend && this.pendKey === key && this.pendDay === day) {
      this.pendS += s;
      return;
    }
    this.flushPend();
    this.hasPend = 1;
    this.pendKey = key;
    this.pendDay = day;
    this.pendS = s;
  }

  protected flushPend(): void {
    if (!this.hasPend) return;
    const d = this.pendDay === this.curDay && this.cur ? this.cur : this.days.get(this.pendDay);
    if (d) d.time.set(this.pendKey, (d.time.get(this.pendKey) ?? 0) + this.pendS);
    this.hasPend = 0;
  }
}
