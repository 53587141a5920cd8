// The exchange of a co-training round: how many vehicles each model may hand the other (the quota,
// split by class), the drift guard on a set's shared members (the cap), and which vehicles (the pick).
import type { ClassCount } from './diagnostics.js';
import { classCount } from './diagnostics.js';

export interface ExchangeRule {
  /** Additions per model per round, as a fraction of the target. */
  perRound: number;
  /** Least share of the quota each class gets, however rare the prior says it is. */
  minClassShare: number;
  /** A set holds at most this many times the shared vehicles the prior gives the target (Infinity: no cap). */
  sharedCap: number;
  /** Confidence (max class probability) an addition needs. */
  floor: number;
}

export interface Exchange {
  quota: ClassCount;
  /** Most shared vehicles a set may hold. */
  sharedCap: number;
}

/** The quota and cap for a target of `n` vehicles whose shared share is `prior`. */
export function exchangeFor(rule: ExchangeRule, n: number, prior: number): Exchange {
  const share = Math.min(1 - rule.minClassShare, Math.max(rule.minClassShare, prior));
  return {
    quota: { shared: Math.max(1, Math.round(rule.perRound * n * share)), private: Math.max(1, Math.round(rule.perRound * n * (1 - share))) },
    sharedCap: Number.isFinite(rule.sharedCap) ? Math.round(rule.sharedCap * prior * n) : Infinity,
  };
}

/** What `set` may still take this round: the quota, less what would push its shared members past the cap. */
export function roomIn(set: ReadonlyMap<number, boolean>, ex: Exchange): ClassCount {
  return { shared: Math.max(0, Math.min(ex.quota.shared, ex.sharedCap - classCount(set).shared)), private: ex.quota.private };
}

/** Most confident rows per class not yet in `taken`, above the floor (ties: lower row first). */
export function pick(p: readonly number[], taken: ReadonlyMap<number, boolean>, room: ClassCount, floor: number): Map<number, boolean> {
  const out = new Map<number, boolean>();
  for (const cls of [true, false]) {
    const want = cls ? room.shared : room.private;
    const candidates = p
      .map((v, i) => ({ i, c: cls ? v : 1 - v }))
      .filter((e) => !taken.has(e.i) && e.c >= floor && e.c > 0.5)
      .sort((a, b) => b.c - a.c || a.i - b.i)
      .slice(0, want);
    for (const e of candidates) out.set(e.i, cls);
  }
  return out;
}
