// Stage 1 of a vehicle's window, the reorder buffer: fixes are held until the vehicle's watermark
// (latest event time seen minus latenessMs) passes them, then released in (ts, lat, lon) order; a
// fix older than the watermark on arrival is dropped as late.
import type { ResolvedOptions } from './options.js';
import { emptyCounts, type CleaningCounts } from './window-counts.js';

/** a[from..to) at the start of an array twice a's length. */
function doubled(a: Float64Array<ArrayBuffer>, from: number, to: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a.subarray(from, to));
  return b;
}

export abstract class ReorderBuffer {
  readonly counts: CleaningCounts = emptyCounts();
  protected closed = false;

  // held fixes, sorted by ts, lat, lon between head and tail
  protected bufTs = new Float64Array(64);
  protected bufLat = new Float64Array(64);
  protected bufLon = new Float64Array(64);
  protected head = 0;
  protected tail = 0;
  protected started = 0;
  protected maxSeen = 0;
  protected watermark = 0;
  private readonly latenessMs: number;

  constructor(
    readonly vehicleId: string,
    readonly opts: ResolvedOptions,
  ) {
    this.latenessMs = opts.latenessMs;
  }

  /** The next stage, on the buffered fix h, released in order. */
  protected abstract release(h: number): void;

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
      if (this.started && ts <= this.watermark) {
        counts.late++;
        continue;
      }
      this.insert(f, k);
      if (!this.started || ts > this.maxSeen) {
        this.started = 1;
        this.maxSeen = ts;
        this.watermark = ts - this.latenessMs;
        const wm = this.watermark;
        while (this.head < this.tail && this.bufTs[this.head] <= wm) this.release(this.head++);
        if (this.head === this.tail) this.head = this.tail = 0;
      }
    }
  }

  /** Releases every held fix, in order. */
  protected releaseAll(): void {
    while (this.head < this.tail) this.release(this.head++);
    this.head = this.tail = 0;
  }

  /** Inserts fix k of a flat (ts, lat, lon, ...) array into the reorder buffer. */
  protected insert(f: Float64Array, k: number): void {
    const ts = f[3 * k];
    const lat = f[3 * k + 1];
    const lon = f[3 * k + 2];
    if (this.tail === this.bufTs.length) this.compact();
    let i = this.tail;
    const T = this.bufTs;
    const A = this.bufLat;
    const O = this.bufLon;
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
    if (this.head > 0 && n < this.bufTs.length / 2) {
      this.bufTs.copyWithin(0, this.head, this.tail);
      this.bufLat.copyWithin(0, this.head, this.tail);
      this.bufLon.copyWithin(0, this.head, this.tail);
    } else {
      this.bufTs = doubled(this.bufTs, this.head, this.tail);
      this.bufLat = doubled(this.bufLat, this.head, this.tail);
      this.bufLon = doubled(this.bufLon, this.head, this.tail);
    }
    this.head = 0;
    this.tail = n;
  }
}
