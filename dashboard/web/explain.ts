// A vehicle's explanation on the review page: its key features against each class, its day images
// (the CNN's input), the forest's credits, the CNN per day and the ensemble's cut.
import { fmt, h } from './dom.js';
import type { Detail, Distribution, Quantiles } from './types.js';

/** Each key feature: the vehicle's value (a line) against each class's 10-25-50-75-90th percentiles. */
export function distributionsOf(d: Record<string, Distribution>): HTMLElement {
  const rows = Object.entries(d).map(([col, x]) => {
    const all = [x.value, ...(x.shared ?? []), ...(x.private ?? [])].filter(Number.isFinite);
    const lo = Math.min(...all), hi = Math.max(...all);
    const at = (v: number) => (hi > lo ? ((v - lo) / (hi - lo)) * 100 : 50);
    const box = (q: Quantiles | null, k: string) => {
      if (!q) return null;
      const whisker = h('i', { class: 'whisker ' + k });
      whisker.style.left = at(q[0]).toFixed(1) + '%';
      whisker.style.width = Math.max(0.5, at(q[4]) - at(q[0])).toFixed(1) + '%';
      const body = h('i', { class: 'box ' + k, title: `${k}: p10 ${q[0].toFixed(2)} · p25 ${q[1].toFixed(2)} · median ${q[2].toFixed(2)} · p75 ${q[3].toFixed(2)} · p90 ${q[4].toFixed(2)}` });
      body.style.left = at(q[1]).toFixed(1) + '%';
      body.style.width = Math.max(0.5, at(q[3]) - at(q[1])).toFixed(1) + '%';
      return h('span', { class: 'lane' }, whisker, body);
    };
    const mark = h('i', { class: 'mark', title: `this vehicle: ${x.value}` });
    mark.style.left = at(x.value).toFixed(1) + '%';
    return h('tr', {}, h('td', { title: col }, col), h('td', {}, Number.isFinite(x.value) ? x.value.toFixed(2) : '–'),
      h('td', { class: 'dist' }, h('span', { class: 'lanes' }, box(x.shared, 'shared'), box(x.private, 'private'), mark)));
  });
  return h('div', { class: 'distributions' },
    h('h3', {}, 'key features against each class'),
    h('p', { class: 'muted' }, 'boxes: 25-75th percentile of the fleet\'s shared (top) and private (bottom) labels, whiskers 10-90th; the line is this vehicle'),
    h('table', { class: 'dist-table' }, h('tbody', {}, ...rows)));
}

/** The stored image of each active day (the CNN's input), captioned with its date; null without any. */
export function dayImagesOf(r: Detail): HTMLElement | null {
  const days = (r.images ?? []).filter((n) => /^\d{4}-\d{2}-\d{2}\.png$/.test(n)).map((n) => n.slice(0, 10));
  if (!days.length) return null;
  return h('div', { class: 'day-images' }, ...days.map((d) => {
    const im = document.createElement('img');
    im.alt = `trajectory image of ${d}`;
    im.src = `/images/${encodeURIComponent(r.vehicleId)}/${d}.png`;
    return h('figure', {}, im, h('figcaption', {}, d));
  }));
}

/** The forest's largest per-feature credits, the CNN and the ensemble's cut. */
export function explanationOf(r: Detail): HTMLElement {
  const e = r.explanation!;
  const top = e.features.slice(0, 8);
  const max = Math.max(1e-9, ...top.map((f) => Math.abs(f.contribution)));
  const rows = top.map((f) => {
    const bar = h('i', { class: f.contribution >= 0 ? 'pos' : 'neg' });
    bar.style.width = ((Math.abs(f.contribution) / max) * 100).toFixed(0) + '%';
    return h('tr', {}, h('td', { title: f.column }, f.column), h('td', {}, Number.isFinite(f.value) ? f.value.toFixed(2) : '–'),
      h('td', { class: 'contrib' }, h('span', { class: 'cbar' }, bar), (f.contribution >= 0 ? '+' : '') + f.contribution.toFixed(3)));
  });
  const ens = e.ensemble;
  const cut = ens.combine === 'logit'
    ? `z = ${ens.weightRf.toFixed(2)}·logit(p_rf) + ${(1 - ens.weightRf).toFixed(2)}·logit(p_cnn); shared when z > ${ens.threshold.toFixed(2)} (${ens.rule}); forest's logit ${ens.zRf.toFixed(2)}`
    : `p = ${ens.weightRf.toFixed(2)}·p_rf + ${(1 - ens.weightRf).toFixed(2)}·p_cnn; shared when p ≥ 0.5 (${ens.rule})`;
  return h('div', { class: 'explain' },
    h('h3', {}, 'why: the forest (M1)'),
    h('p', { class: 'muted' }, `P(shared) ${e.bias.toFixed(3)} before any split, ${e.pRf.toFixed(3)} after this vehicle's paths${e.members > 1 ? ` (mean of ${e.members} members)` : ''}; tree path attribution, largest credits first`),
    h('table', { class: 'explain-features' }, h('tbody', {}, ...rows)),
    e.cnnDays && e.cnnDays.days.length > 0 && h('h3', {}, 'the CNN (M2) per day'),
    e.cnnDays && e.cnnDays.days.length > 0 && h('p', { class: 'muted' }, e.cnnDays.dayScore === 'top' ? `the vehicle's score reads its ${e.cnnDays.topDays} highest days (marked ●)` : 'the vehicle\'s score is the mean of its days'),
    e.cnnDays && e.cnnDays.days.length > 0 && h('table', { class: 'cnn-days' }, h('tbody', {}, ...e.cnnDays.days.map((d) => {
      const bar = h('i', { class: d.p >= 0.5 ? 'pos' : 'neg' });
      bar.style.width = (d.p * 100).toFixed(0) + '%';
      return h('tr', { class: d.counted ? 'counted' : '' }, h('td', {}, d.day), h('td', { class: 'contrib' }, h('span', { class: 'cbar' }, bar), d.p.toFixed(3)), h('td', {}, d.counted ? '●' : ''));
    }))),
    h('h3', {}, 'the ensemble and its cut'),
    h('p', { class: 'muted' }, `p_rf ${fmt(r.pRf)} · p_cnn ${fmt(r.pCnn)} → p_shared ${fmt(r.pShared)}`),
    h('p', { class: 'muted' }, cut),
    e.modelVersion !== null && e.modelVersion !== r.modelVersion && h('p', { class: 'tag warn' }, `explained by version ${e.modelVersion}; the label is from ${r.modelVersion ?? '?'}`),
  );
}
