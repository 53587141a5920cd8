import { describe, expect, it } from 'vitest';
import { Fleet, LruCache, csvCell, parseQuery, parseTokens, type Prediction, type Review, type VehicleQuery } from '@cotrans/dashboard';
import { rng } from './helpers.js';

function generated(n: number, seed: number): Prediction[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const p = Math.round(r() * 100) / 100; // ties on purpose: the id breaks them
    return {
      vehicleId: `${['Taxi', 'car', 'van'][i % 3]}-${Math.floor(r() * 1000)}-${i}`,
      label: p >= 0.5 ? 'shared' : 'private',
      pShared: p,
      pRf: r() < 0.1 ? null : Math.round(r() * 100) / 100,
      pCnn: r() < 0.1 ? null : Math.round(r() * 100) / 100,
      flags: r() < 0.2 ? ['too_few_points'] : [],
    };
  });
}

/** The query answered the obvious way: filter every vehicle, then sort. */
function naive(preds: Prediction[], reviewed: Set<string>, q: VehicleQuery): string[] {
  const conf = (p: Prediction) => Math.abs(p.pShared - 0.5) * 2;
  const band = (c: number) => (c < 0.3 ? 'low' : c < 0.8 ? 'medium' : 'high');
  const dis = (p: Prediction) => p.pRf !== null && p.pCnn !== null && p.pRf >= 0.5 !== p.pCnn >= 0.5;
  const val = (p: Prediction): number | string => ({
    p_shared: p.pShared, uncertainty: Math.abs(p.pShared - 0.5),
    priority: 1 - conf(p) + (p.pRf !== null && p.pCnn !== null ? Math.abs(p.pRf - p.pCnn) : 0), vehicle_id: p.vehicleId, p_rf: p.pRf ?? -1, p_cnn: p.pCnn ?? -1,
    disagreement: p.pRf !== null && p.pCnn !== null ? Math.abs(p.pRf - p.pCnn) : -1,
  })[q.sort];
  const out = preds.filter((p) =>
    (!q.label || p.label === q.label) && (!q.confidence || band(conf(p)) === q.confidence) &&
    (q.disagree === undefined || dis(p) === q.disagree) && (q.flagged === undefined || p.flags.length > 0 === q.flagged) &&
    (q.reviewed === undefined || reviewed.has(p.vehicleId) === q.reviewed) && (!q.q || p.vehicleId.toLowerCase().startsWith(q.q)));
  out.sort((a, b) => {
    const x = val(a), y = val(b);
    const c = x < y ? -1 : x > y ? 1 : a.vehicleId < b.vehicleId ? -1 : a.vehicleId > b.vehicleId ? 1 : 0;
    return q.desc ? -c : c;
  });
  return out.map((p) => p.vehicleId);
}

describe('Fleet', () => {
  it('answers every kind of query as a full filter-and-sort would, before and after reviews', () => {
    const preds = generated(600, 7);
    const fleet = new Fleet(preds);
    const reviewed = new Set<string>();
    const r = rng(99);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
    for (let round = 0; round < 400; round++) {
      if (round % 20 === 0) {
        const v = pick(preds);
        const review: Review = { vehicleId: v.vehicleId, verdict: pick(['shared', 'private', 'unsure'] as const), note: '', reviewer: 'ana', at: round };
        fleet.setReview(review);
        reviewed.add(v.vehicleId);
      }
      const params = new URLSearchParams();
      const maybe = (k: string, vs: string[]) => { if (r() < 0.4) params.set(k, pick(vs)); };
      maybe('label', ['shared', 'private']);
      maybe('confidence', ['low', 'medium', 'high']);
      maybe('disagree', ['0', '1']);
      maybe('reviewed', ['0', '1']);
      maybe('flagged', ['0', '1']);
      maybe('q', ['taxi', 'CAR-', 'van-1', 'car-9', 'zzz']);
      params.set('sort', (r() < 0.5 ? '-' : '') + pick(['p_shared', 'uncertainty', 'priority', 'vehicle_id', 'p_rf', 'p_cnn', 'disagreement']));
      params.set('offset', String(Math.floor(r() * 40)));
      params.set('limit', String(1 + Math.floor(r() * 60)));
      const q = parseQuery(params);
      const want = naive(preds, reviewed, q);
      const got = fleet.query(q);
      expect(got.total, params.toString()).toBe(want.length);
      expect(got.rows.map((x) => x.vehicleId), params.toString()).toEqual(want.slice(q.offset, q.offset + q.limit));
      expect(JSON.parse(fleet.queryBody(q).toString())).toEqual(JSON.parse(JSON.stringify(got)));
    }
  });

  it('sorts by a stored feature either way, vehicles without it lowest, and pages through that order', () => {
    const preds: Prediction[] = ['a', 'b', 'c', 'd', 'e'].map((vehicleId, i) => ({ vehicleId, label: i % 2 ? 'shared' : 'private', pShared: i / 5, pRf: 0.5, pCnn: 0.5, flags: [] }));
    const features = new Map<string, Record<string, number>>([
      ['a', { session_max_h: 3 }],
      ['b', { session_max_h: 0.5 }],
      ['c', { session_max_h: 4.5 }],
      ['e', { session_max_h: 3 }],
    ]);
    const fleet = new Fleet(preds, undefined, features);
    const ids = (query: string) => fleet.query(parseQuery(new URLSearchParams(query))).rows.map((r) => r.vehicleId);
    expect(ids('sort=-feature:session_max_h')).toEqual(['c', 'e', 'a', 'b', 'd']);
    expect(ids('sort=feature:session_max_h')).toEqual(['d', 'b', 'a', 'e', 'c']);
    expect(ids('sort=-feature:session_max_h&label=private')).toEqual(['c', 'e', 'a']);
    expect(ids('sort=-feature:session_max_h&offset=1&limit=2')).toEqual(['e', 'a']);
    // a column the store does not hold orders by id, and a filter still applies
    expect(ids('sort=-feature:nope')).toEqual(['e', 'd', 'c', 'b', 'a']);
  });

  it('keeps review counts right as verdicts replace each other', () => {
    const fleet = new Fleet([
      { vehicleId: 'a', label: 'shared', pShared: 0.9, pRf: 0.9, pCnn: 0.9, flags: [] },
      { vehicleId: 'b', label: 'private', pShared: 0.1, pRf: 0.1, pCnn: 0.1, flags: [] },
    ]);
    const at = (vehicleId: string, verdict: Review['verdict']): Review => ({ vehicleId, verdict, note: '', reviewer: 'x', at: 0 });
    fleet.setReview(at('a', 'shared'));
    fleet.setReview(at('b', 'shared'));
    expect(fleet.summary()).toMatchObject({ reviewed: 2, reviewAgreement: 0.5 });
    fleet.setReview(at('b', 'unsure'));
    expect(fleet.summary()).toMatchObject({ reviewed: 2, reviewAgreement: 1 });
    fleet.setReview(at('a', 'private'));
    expect(fleet.summary()).toMatchObject({ reviewed: 2, reviewAgreement: 0 });
    fleet.setReview(at('not-in-fleet', 'shared'));
    expect(fleet.summary().reviewed).toBe(2);
    // A cached page follows the next review of a vehicle on it.
    const q = parseQuery(new URLSearchParams('sort=vehicle_id'));
    const verdictOf = () => (JSON.parse(fleet.queryBody(q).toString()) as { rows: { review: Review | null }[] }).rows[0].review?.verdict;
    expect(verdictOf()).toBe('private');
    fleet.setReview(at('a', 'unsure'));
    expect(verdictOf()).toBe('unsure');
  });
});

describe('csvCell', () => {
  it('neutralises formulas and quotes what RFC 4180 needs quoted', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('=1+1')).toBe(`"'=1+1"`);
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    for (const c of ['+', '-', '@', '\t', '\r']) expect(csvCell(`${c}x`)).toBe(`"'${c}x"`);
    expect(csvCell('a\rb')).toBe('"a\rb"');
    expect(csvCell('a\nb')).toBe('"a\nb"');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('0.5-0.1')).toBe('0.5-0.1');
  });
});

describe('LruCache', () => {
  it('forgets the least recently used entry beyond its capacity', () => {
    const c = new LruCache<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1);
    c.set('c', 3);
    expect([c.has('a'), c.has('b'), c.has('c'), c.size]).toEqual([true, false, true, 2]);
    expect(() => new LruCache(0)).toThrow(/positive integer/);
  });
});

describe('parseTokens', () => {
  it('reads named tokens and a bare one, and names the line of a bad one', () => {
    expect(parseTokens('# reviewers\nana: ana-0123456789abcdef\n\nbo:bo-fedcba9876543210\n', 'tokens.txt')).toEqual([
      { reviewer: 'ana', token: 'ana-0123456789abcdef' }, { reviewer: 'bo', token: 'bo-fedcba9876543210' },
    ]);
    expect(parseTokens('0123456789abcdef0123', 'COTRANS_DASHBOARD_TOKEN')).toEqual([{ reviewer: 'reviewer', token: '0123456789abcdef0123' }]);
    expect(() => parseTokens('ana:short', 't.txt')).toThrow(/^t\.txt:1: token for 'ana' is shorter than 16 characters$/);
    expect(() => parseTokens('\n<b>:0123456789abcdef0123', 't.txt')).toThrow(/^t\.txt:2: reviewer name '<b>' must be/);
    expect(() => parseTokens('ana:0123456789abcdef0123\nana:0123456789abcdef0124', 't.txt')).toThrow(/t\.txt:2: reviewer 'ana' has two tokens/);
    expect(() => parseTokens('ana:0123456789abcdef0123\nbo:0123456789abcdef0123', 't.txt')).toThrow(/t\.txt:2: token for 'bo' is also another reviewer's/);
  });
});
