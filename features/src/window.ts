// Per-vehicle streaming window: reorder buffer -> cleaning -> per-day aggregates. The same code
// serves streaming (points one by one or in batches, snapshots for checkpoints) and batch (a
// whole file through one window per vehicle), so both give identical results by construction.
//
// Pipeline for each fix:
//  1. reorder buffer: fixes are held until the vehicle's watermark (latest event time seen minus
//     latenessMs) passes them, then released in (ts, lat, lon) order; a fix older than the
//     watermark on arrival is dropped as late.
//  2. duplicates: same ts+position as the previous fix = exact, closer than nearDuplicateMs = near.
//  3. impossible jumps, judged against both neighbours: a fix is dropped when the implied speed
//     from its previous kept fix exceeds maxSpeedKmh and either the speed on to the next fix also
//     does or the previous->next hop is plausible without it (a one-fix spike; a lasting
//     relocation is kept). The first and last fixes have one neighbour and are kept.
//  4. aggregation into the fix's local day (see day.ts); days older than windowDays slide out.
import { UserError } from '@cotrans/core';
import type { GpsPoint } from '@cotrans/ingest';
import { DAY_MS, HOUR_MS, clockFor, type LocalClock } from './clock.js';
import { newDay, daySnapshot, dayRestore, SPEED_BIN_KMH, SPEED_BINS, type DayAgg, type DaySnapshot } from './day.js';
import { distanceM, M_PER_DEG_LAT, mPerDegLon } from './geo.js';
import { inRange, packCell } from './grid.js';
import { resolveOptions, type FeatureOptions, type ResolvedOptions } from './options.js';
import { summarise, type VehicleFeatures } from './summarise.js';
import { rasterise, type VehicleImages } from './images.js';

export interface CleaningCounts {
  /** Fixes offered to the window. */
  input: number;
  /** Non-finite time or coordinates. */
  invalid: number;
  /** Arrived after the watermark had passed them (more than latenessMs out of order). */
  late: number;
  exactDuplicates: number;
  nearDuplicates: number;
  /** Impossible jumps (spikes) removed. */
  jumps: number;
  /** Intervals longer than maxGapS: no distance or driving time counted across them. */
  gaps: number;
  /** Kept fixes whose day later slid out of the window. */
  outOfWindow: number;
  /** Fixes that passed cleaning (including those that later slid out). */
  kept: number;
}

export function emptyCounts(): CleaningCounts {
  return { input: 0, invalid: 0, late: 0, exactDuplicates: 0, nearDuplicates: 0, jumps: 0, gaps: 0, outOfWindow: 0, kept: 0 };
}

export function addCounts(a: CleaningCounts, b: CleaningCounts): CleaningCounts {
  for (const k of Object.keys(a) as (keyof CleaningCounts)[]) a[k] += b[k];
  return a;
}

export interface WindowResult {
  features: VehicleFeatures;
  images: VehicleImages | null;
  cleaning: CleaningCounts;
}

/** Below this implied speed a segment is a stop, not driving (km/h). */
export const MOVING_KMH = 5;
/** Trips shorter than this are GPS wander between stays, not trips (m). */
export const MIN_TRIP_M = 250;
const NIGHT_END_HOUR = 5;
/** A session at least this long is a shift (s): a private trip rarely lasts two hours, a platform shift does. */
export const SHIFT_SESSION_S = 2 * 3600;

const SCALAR_STATE = [
  'hasLast', 'lastTs', 'lastLat', 'lastLon',
  'hasPrev', 'prevTs', 'prevLat', 'prevLon', 'hasCand', 'candTs', 'candLat', 'candLon', 'dPC',
  'hasQ', 'qTs', 'qDay', 'qHour', 'qOff', 'qImg',
  'hasRef', 'refLat', 'refLon', 'kLon',
  'started', 'maxSeen', 'wm', 'curDay', 'minDay',
  'hasPend', 'pendKey', 'pendDay', 'pendS',
  'hasAnchor', 'anLat', 'anLon', 'clStart', 'clLast', 'clSumLat', 'clSumLon', 'clN', 'lenAtStart', 'lenAtLast', 'tripStart', 'tripLen',
  'sessStart',
] as const;
type ScalarKey = (typeof SCALAR_STATE)[number];

/** a[from..to) at the start of an array twice a's length. */
function doubled(a: Float64Array<ArrayBuffer>, from: number, to: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a.subarray(from, to));
  return b;
}

export interface WindowSnapshot {
  v: 1;
  vehicleId: string;
  opts: ResolvedOptions;
  counts: CleaningCounts;
  scalars: number[];
  /** Reorder buffer, flat ts, lat, lon. */
  buffer: number[];
  days: DaySnapshot[];
}

export class VehicleWindow {
  readonly opts: ResolvedOptions;
  readonly counts: CleaningCounts = emptyCounts();
  private readonly clock: LocalClock;
  private closed = false;

  // reorder buffer (sorted by ts, lat, lon between head and tail)
  private bTs = new Float64Array(64);
  private bLat = new Float64Array(64);
  private bLon = new Float64Array(64);
  private head = 0;
  private tail = 0;
  private started = 0;
  private maxSeen = 0;
  private wm = 0;

  // duplicate stage: the last fix that passed it
  private hasLast = 0;
  private lastTs = 0;
  private lastLat = 0;
  private lastLon = 0;

  // jump stage: prev = last accepted fix, cand = fix waiting for its next neighbour
  private hasPrev = 0;
  private prevTs = 0;
  private prevLat = 0;
  private prevLon = 0;
  private hasCand = 0;
  private candTs = 0;
  private candLat = 0;
  private candLon = 0;
  private dPC = 0;

  // aggregation: q = last aggregated fix
  private hasQ = 0;
  private qTs = 0;
  private qDay = 0;
  private qHour = 0;
  private qOff = 0;
  private qImg = -1;
  private hasRef = 0;
  private refLat = 0;
  private refLon = 0;
  private kLon = 0;
  private readonly days = new Map<number, DayAgg>();
  private cur: DayAgg | null = null;
  private curDay = 0;
  private minDay = 0;
  // a run of stay time in one image cell, added to the day's map when the cell changes
  private hasPend = 0;
  private pendKey = 0;
  private pendDay = 0;
  private pendS = 0;

  private memoKey = -1;
  private memoPeriod = -1;
  private memoDay: DayAgg | null = null;

  // stay points and trips
  private hasAnchor = 0;
  private anLat = 0;
  private anLon = 0;
  private clStart = 0;
  private clLast = 0;
  private clSumLat = 0;
  private clSumLon = 0;
  private clN = 0;
  private lenAtStart = 0;
  private lenAtLast = 0;
  private tripStart = 0;
  private tripLen = 0;
  /** Start of the current session: fixes no more than maxGapS apart, moving or waiting. */
  private sessStart = 0;

  // derived constants
  private readonly mapK: number;
  private readonly imgK: number;
  private readonly nearDupMs: number;
  private readonly maxMps: number;
  private readonly maxGapMs: number;
  private readonly stayR2: number;
  private readonly latenessMs: number;
  /** push()'s one-fix run. */
  private readonly one = new Float64Array(3);

  constructor(
    readonly vehicleId: string,
    opts: FeatureOptions | ResolvedOptions,
  ) {
    this.opts = resolveOptions(opts);
    if (this.opts.frame === 'city' && this.opts.images && !this.opts.bbox) {
      throw new UserError("features: frame 'city' needs a bbox (minLon,minLat,maxLon,maxLat); use fleetBbox() on the data");
    }
    this.clock = clockFor(this.opts.tz);
    this.mapK = 1 / this.opts.mapCellM;
    this.imgK = 1 / this.opts.imageCellM;
    this.nearDupMs = this.opts.nearDuplicateMs;
    this.maxMps = this.opts.maxSpeedKmh / 3.6;
    this.maxGapMs = this.opts.maxGapS * 1000;
    this.stayR2 = this.opts.stayRadiusM * this.opts.stayRadiusM;
    this.latenessMs = this.opts.latenessMs;
  }

  /** Adds fixes of this vehicle (any order within latenessMs). */
  add(points: readonly GpsPoint[] | GpsPoint): this {
    if (Array.isArray(points)) {
      for (let i = 0; i < points.length; i++) {
        const p = points[i];
        if (p.vehicleId !== this.vehicleId) throw new Error(`VehicleWindow(${this.vehicleId}): got a fix of vehicle ${p.vehicleId}`);
        this.push(p.ts, p.lat, p.lon);
      }
    } else {
      const p = points as GpsPoint;
      if (p.vehicleId !== this.vehicleId) throw new Error(`VehicleWindow(${this.vehicleId}): got a fix of vehicle ${p.vehicleId}`);
      this.push(p.ts, p.lat, p.lon);
    }
    return this;
  }

  /** One fix as numbers (epoch ms, degrees). */
  push(ts: number, lat: number, lon: number): void {
    const f = this.one;
    // the array would coerce a non-number (a numeric string, null) into a valid-looking fix
    f[0] = typeof ts === 'number' ? ts : NaN;
    f[1] = typeof lat === 'number' ? lat : NaN;
    f[2] = typeof lon === 'number' ? lon : NaN;
    this.pushRun(f, 0, 1);
  }

  /**
   * Hot path: fixes from..to-1 of a flat (ts, lat, lon, ts, lat, lon, ...) array, in arrival order.
   * Nothing below takes a fractional or epoch-ms number as an argument: V8 boxes such a number
   * on every call it does not inline, and at several calls per fix that garbage was a tenth of
   * the stage's time. The fix in hand lives in the reorder buffer and the cand* fields instead.
   */
  pushRun(f: Float64Array, from: number, to: number): void {
    if (this.closed) throw new Error(`VehicleWindow(${this.vehicleId}) is closed`);
    const counts = this.counts;
    for (let k = from; k < to; k++) {
      const ts = f[3 * k];
      counts.input++;
      if (!Number.isFinite(ts) || !Number.isFinite(f[3 * k + 1]) || !Number.isFinite(f[3 * k + 2])) {
        counts.invalid++;
        continue;
      }
      if (this.started && ts <= this.wm) {
        counts.late++;
        continue;
      }
      this.insert(f, k);
      if (!this.started || ts > this.maxSeen) {
        this.started = 1;
        this.maxSeen = ts;
        this.wm = ts - this.latenessMs;
        const wm = this.wm;
        while (this.head < this.tail && this.bTs[this.head] <= wm) this.release(this.head++);
        if (this.head === this.tail) this.head = this.tail = 0;
      }
    }
  }

  /** Inserts fix k of a flat (ts, lat, lon, ...) array into the reorder buffer. */
  private insert(f: Float64Array, k: number): void {
    const ts = f[3 * k];
    const lat = f[3 * k + 1];
    const lon = f[3 * k + 2];
    if (this.tail === this.bTs.length) this.compact();
    let i = this.tail;
    const T = this.bTs;
    const A = this.bLat;
    const O = this.bLon;
    while (i > this.head) {
      const t = T[i - 1];
      if (t < ts || (t === ts && (A[i - 1] < lat || (A[i - 1] === lat && O[i - 1] <= lon)))) break;
      T[i] = t;
      A[i] = A[i - 1];
      O[i] = O[i - 1];
      i--;
    }
    T[i] = ts;
    A[i] = lat;
    O[i] = lon;
    this.tail++;
  }

  /**
   * Makes room at the buffer's end: moves the held fixes to the front, or doubles the buffer.
   * Kept out of insert(): a closure there made V8 allocate a context on every insert.
   */
  private compact(): void {
    const n = this.tail - this.head;
    if (this.head > 0 && n < this.bTs.length / 2) {
      this.bTs.copyWithin(0, this.head, this.tail);
      this.bLat.copyWithin(0, this.head, this.tail);
      this.bLon.copyWithin(0, this.head, this.tail);
    } else {
      this.bTs = doubled(this.bTs, this.head, this.tail);
      this.bLat = doubled(this.bLat, this.head, this.tail);
      this.bLon = doubled(this.bLon, this.head, this.tail);
    }
    this.head = 0;
    this.tail = n;
  }

  /** Stages 2 and 3 on the buffered fix h, released in order. */
  private release(h: number): void {
    const ts = this.bTs[h];
    const lat = this.bLat[h];
    const lon = this.bLon[h];
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
      if (this.hasPrev) this.dPC = distanceM(this.prevLat, this.prevLon, lat, lon);
      return;
    }
    const dCN = distanceM(this.candLat, this.candLon, lat, lon);
    if (this.hasPrev) {
      const maxMps = this.maxMps;
      // a spike: too fast to reach from the previous kept fix, and either too fast to leave for
      // the next fix or the track is plausible without it (a spike before a long interval)
      if (
        this.dPC > maxMps * ((this.candTs - this.prevTs) / 1000) &&
        (dCN > maxMps * ((ts - this.candTs) / 1000) || distanceM(this.prevLat, this.prevLon, lat, lon) <= maxMps * ((ts - this.prevTs) / 1000))
      ) {
        // the candidate is a spike: drop it; the new fix becomes the candidate
        this.counts.jumps++;
        this.candTs = ts;
        this.candLat = lat;
        this.candLon = lon;
        this.dPC = distanceM(this.prevLat, this.prevLon, lat, lon);
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
    this.dPC = dCN;
  }

  private dayAgg(day: number): DayAgg {
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

  /** Stage 4: the candidate fix is clean; dPC is its distance from the previous clean fix. */
  private aggregate(): void {
    const ts = this.candTs;
    const lat = this.candLat;
    const lon = this.candLon;
    this.counts.kept++;
    if (!this.hasRef) {
      this.hasRef = 1;
      this.refLat = lat;
      this.refLon = lon;
      this.kLon = mPerDegLon(lat);
      this.tripStart = ts;
      this.sessStart = ts;
    }
    const off = this.clock.offsetMs(ts);
    const local = ts + off;
    const day = Math.floor(local / DAY_MS);
    const hour = Math.floor((local - day * DAY_MS) / HOUR_MS);
    const d = this.dayAgg(day);
    d.nPoints++;
    // planar coordinates relative to the vehicle's first fix
    const x = (lon - this.refLon) * this.kLon;
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

    if (this.hasQ) this.segment(day, off);
    this.stayStep();

    this.hasQ = 1;
    this.qTs = ts;
    this.qDay = day;
    this.qHour = hour;
    this.qOff = off;
    this.qImg = img;
  }

  /** The interval from the previous clean fix q to this one (cand). */
  private segment(day: number, off: number): void {
    const ts = this.candTs;
    const dist = this.dPC;
    const dtMs = ts - this.qTs;
    const dt = dtMs / 1000;
    const qd = this.qDay === day ? this.cur : this.days.get(this.qDay);
    if (dtMs <= this.maxGapMs) {
      const kmh = (dist / dt) * 3.6;
      // slower than MOVING_KMH is GPS wander around a parked car, not distance travelled
      if (qd && kmh >= MOVING_KMH) {
        qd.distM += dist;
        qd.movingS += dt;
        qd.hourMask |= 1 << this.qHour;
        if (this.qHour < NIGHT_END_HOUR) qd.nightMovingS += dt;
        const bin = Math.floor(kmh / SPEED_BIN_KMH);
        qd.speedHist[bin < SPEED_BINS ? bin : SPEED_BINS - 1] += dt;
      }
      if (qd) qd.engineS += dt;
      this.creditTime(qd, day, off);
    } else {
      this.counts.gaps++;
      this.closeSession(this.qTs);
      this.sessStart = ts;
      // a long silence without moving is a parked car with the unit off: that is stay time
      if (dist <= this.opts.stayRadiusM) this.creditTime(qd, day, off);
    }
  }

  /** Time from q to ts is spent in q's cell; split at local midnight (days without fixes get none). */
  private creditTime(qd: DayAgg | null | undefined, day: number, off: number): void {
    const ts = this.candTs;
    if (this.qDay === day) {
      if (qd) {
        const s = (ts - this.qTs) / 1000;
        qd.observedS += s;
        this.addTime(this.qDay, this.qImg, s);
      }
      return;
    }
    if (qd) {
      const endQ = (this.qDay + 1) * DAY_MS - this.qOff;
      const s = (Math.min(ts, endQ) - this.qTs) / 1000;
      qd.observedS += s;
      this.addTime(this.qDay, this.qImg, s);
    }
    const startP = day * DAY_MS - off;
    const s2 = (ts - Math.max(this.qTs, startP)) / 1000;
    if (s2 > 0) {
      this.cur!.observedS += s2;
      this.addTime(day, this.qImg, s2);
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

  private flushPend(): void {
    if (!this.hasPend) return;
    const d = this.pendDay === this.curDay && this.cur ? this.cur : this.days.get(this.pendDay);
    if (d) d.time.set(this.pendKey, (d.time.get(this.pendKey) ?? 0) + this.pendS);
    this.hasPend = 0;
  }

  /** Stay point detection (Li et al. 2008) and trip segmentation, one clean fix (cand) at a time. */
  private stayStep(): void {
    const ts = this.candTs;
    const lat = this.candLat;
    const lon = this.candLon;
    const dq = this.dPC;
    if (!this.hasAnchor) {
      this.newAnchor();
      return;
    }
    const gap = ts - this.qTs > this.maxGapMs;
    if (gap && dq > this.opts.stayRadiusM) {
      // whereabouts unknown during the gap: close what was open, end the trip at q
      this.closeCluster();
      this.emitTrip(this.tripStart, this.qTs, this.tripLen);
      this.tripStart = ts;
      this.tripLen = 0;
      this.newAnchor();
      return;
    }
    if (!gap) this.tripLen += dq;
    // planar distance to the anchor (the vehicle's fixed projection): no trigonometry per fix
    const ax = (lon - this.anLon) * this.kLon;
    const ay = (lat - this.anLat) * M_PER_DEG_LAT;
    if (ax * ax + ay * ay <= this.stayR2) {
      this.clLast = ts;
      this.lenAtLast = this.tripLen;
      this.clSumLat += lat;
      this.clSumLon += lon;
      this.clN++;
    } else {
      this.closeCluster();
      this.newAnchor();
    }
  }

  /** A new stay anchor at the fix in hand (cand). */
  private newAnchor(): void {
    const ts = this.candTs;
    const lat = this.candLat;
    const lon = this.candLon;
    this.hasAnchor = 1;
    this.anLat = lat;
    this.anLon = lon;
    this.clStart = this.clLast = ts;
    this.clSumLat = lat;
    this.clSumLon = lon;
    this.clN = 1;
    this.lenAtStart = this.lenAtLast = this.tripLen;
  }

  private closeCluster(): void {
    if (!this.hasAnchor || (this.clLast - this.clStart) / 1000 < this.opts.stayMinS) return;
    this.emitTrip(this.tripStart, this.clStart, this.lenAtStart);
    const d = this.days.get(this.clock.dayOf(this.clStart));
    if (d) d.stays.push(this.clSumLat / this.clN, this.clSumLon / this.clN, this.clStart, this.clLast);
    this.tripStart = this.clLast;
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

  /** Releases everything held and closes open stays and trips. The window accepts no more fixes. */
  end(): this {
    if (this.closed) return this;
    while (this.head < this.tail) this.release(this.head++);
    this.head = this.tail = 0;
    if (this.hasCand) {
      this.aggregate();
      this.hasCand = 0;
    }
    if (this.hasQ) {
      this.closeCluster();
      this.emitTrip(this.tripStart, this.qTs, this.tripLen);
      this.closeSession(this.qTs);
    }
    this.flushPend();
    this.closed = true;
    return this;
  }

  /** Features and images of the window as it stands; the window itself is not changed. */
  result(): WindowResult {
    const w = this.closed ? this : VehicleWindow.restore(this.snapshot()).end();
    return w.finalResult();
  }

  /** Like result(), but ends this window in place (no copy); for batch use. */
  endResult(): WindowResult {
    return this.end().finalResult();
  }

  private finalResult(): WindowResult {
    const days = [...this.days.values()].sort((a, b) => a.day - b.day);
    const features = summarise(this.vehicleId, days, this.opts);
    const images = this.opts.images ? rasterise(this.vehicleId, days, this.opts) : null;
    return { features, images, cleaning: { ...this.counts } };
  }

  /** Number of days held and fixes buffered, for memory accounting. */
  get held(): { days: number; buffered: number; cells: number } {
    let cells = 0;
    for (const d of this.days.values()) cells += d.time.size + d.periods[0].size + d.periods[1].size + d.periods[2].size + d.periods[3].size;
    return { days: this.days.size, buffered: this.tail - this.head, cells };
  }

  /** Plain JSON-serialisable state (no NaN or Infinity inside). */
  snapshot(): WindowSnapshot {
    if (this.closed) throw new Error(`VehicleWindow(${this.vehicleId}) is closed; snapshot before end()`);
    const self = this as unknown as Record<ScalarKey, number>;
    const buffer: number[] = [];
    for (let i = this.head; i < this.tail; i++) buffer.push(this.bTs[i], this.bLat[i], this.bLon[i]);
    return {
      v: 1,
      vehicleId: this.vehicleId,
      opts: { ...this.opts },
      counts: { ...this.counts },
      scalars: SCALAR_STATE.map((k) => self[k]),
      buffer,
      days: [...this.days.values()].map(daySnapshot),
    };
  }

  static restore(s: WindowSnapshot): VehicleWindow {
    if (!s || s.v !== 1) throw new Error('VehicleWindow.restore: unknown snapshot version');
    const w = new VehicleWindow(s.vehicleId, s.opts);
    Object.assign(w.counts, s.counts);
    const self = w as unknown as Record<ScalarKey, number>;
    // a snapshot written before a field existed lacks it (sessStart: sessions start again)
    SCALAR_STATE.forEach((k, i) => {
      self[k] = s.scalars[i] ?? 0;
    });
    const buf = Float64Array.from(s.buffer);
    for (let k = 0; k < buf.length / 3; k++) w.insert(buf, k);
    for (const ds of s.days) {
      const d = dayRestore(ds);
      w.days.set(d.day, d);
    }
    w.cur = w.days.get(w.curDay) ?? null;
    return w;
  }
}
