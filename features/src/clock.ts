// Local time through an IANA zone without calling Intl per point: the UTC offset is looked up
// once per UTC hour and cached (zones change offset on hour boundaries; the rare zones that
// shift on a half hour are off by at most that half hour for one hour a year).
import { UserError, isValidTimeZone, tzOffsetMs } from '@cotrans/core';
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export class LocalClock {
  private readonly cache = new Map<number, number>();
  private lastHour = Number.NaN;
  private lastOff = 0;

  constructor(readonly tz: string) {
    if (!isValidTimeZone(tz)) throw new UserError(`unknown time zone '${tz}' (expected an IANA name such as Europe/Berlin)`);
  }

  /** UTC offset in ms (local = utc + offset) at an epoch-ms instant. */
  offsetMs(ts: number): number {
    const h = Math.floor(ts / HOUR_MS);
    if (h === this.lastHour) return this.lastOff;
    let off = this.cache.get(h);
    if (off === undefined) {
      off = tzOffsetMs(this.tz, h * HOUR_MS);
      this.cache.set(h, off);
    }
    this.lastHour = h;
    this.lastOff = off;
    return off;
  }

  /** Local day number (days since 1970-01-01 in local time). */
  dayOf(ts: number): number {
    return Math.floor((ts + this.offsetMs(ts)) / DAY_MS);
  }
}

const clocks = new Map<string, LocalClock>();
/** One shared clock (and offset cache) per zone. */
export function clockFor(tz: string): LocalClock {
  let c = clocks.get(tz);
  if (!c) {
    c = new LocalClock(tz);
    clocks.set(tz, c);
  }
  return c;
}

/** YYYY-MM-DD of a local day number. */
export function dayKey(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Sunday ... 6 = Saturday, for a local day number (1970-01-01 was a Thursday). */
export function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}
