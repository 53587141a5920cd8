// The review page's script. Every value from the server is put in the page as text (textContent,
// attribute values through the DOM): an id, note or verdict holding markup shows as that markup's
// characters. The page's own markup lives in index.html; the CSP allows no inline script or style.

import { trackMap, type Track } from './map.js';
import { $, cls, fmt, h, pct, present } from './dom.js';
import { dayImagesOf, distributionsOf, explanationOf } from './explain.js';
import type { Detail, ModelInfo, Row, Session, StreamView, Summary } from './types.js';

const TOKEN_KEY = 'cotrans-review-token';
const PAGE_SIZE = 50;
const REFRESH_MS = 3000;

const state = { offset: 0, rows: [] as Row[], sel: -1, truth: false, session: { writable: false, reviewer: null } as Session };

function toast(msg: string): void {
  const t = $('toast');
  t.textContent = msg;
  t.hidden = false;
  window.setTimeout(() => { t.hidden = true; }, 4000);
}

const token = () => sessionStorage.getItem(TOKEN_KEY) ?? '';

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (token()) headers.set('authorization', 'Bearer ' + token());
  const r = await fetch(path, { ...init, headers, credentials: 'omit' });
  const body = (await r.json()) as T & { error?: string };
  if (!r.ok) throw new Error(body.error ?? r.statusText);
  return body;
}

async function loadSession(): Promise<void> {
  state.session = await api<Session>('/api/session');
  const mode = $('mode');
  const signedIn = state.session.reviewer !== null;
  mode.className = 'mode ' + (!state.session.writable ? 'readonly' : signedIn ? 'writer' : '');
  mode.textContent = !state.session.writable
    ? 'read-only: this server has no review tokens'
    : signedIn ? 'reviewing as ' + state.session.reviewer : 'read-only until you sign in with your token';
  $('signin').hidden = !state.session.writable || signedIn;
  $('signout').hidden = !signedIn;
}

/** The summary last shown, to tell when another process changed the data. */
let shownSummary = '';
async function loadSummary(): Promise<void> {
  renderSummary(await api<Summary>('/api/summary'));
}

function renderSummary(s: Summary): void {
  shownSummary = JSON.stringify(s);
  const cards: [string, string | number][] = [
    ['vehicles', s.total], ['shared', s.shared], ['private', s.private], ['uncertain', s.uncertain],
    ['RF/CNN disagree', s.disagree], ['flagged', s.flagged], ['reviewed', s.reviewed],
  ];
  if (s.model) cards.push(['stale', s.stale]);
  if (s.reviewAgreement !== null) cards.push(['accuracy on reviewed', pct(s.reviewAgreement)]);
  if (s.truthAccuracy !== null) cards.push(['accuracy vs truth', pct(s.truthAccuracy)]);
  $('summary').replaceChildren(...cards.map(([k, v]) => h('div', { class: 'card', data: { k } }, h('b', {}, String(v)), h('span', {}, k))));
  const max = Math.max(1, ...s.histogram);
  $('bars').replaceChildren(...s.histogram.map((n, i) => {
    const bar = h('i', { class: i >= s.histogram.length / 2 ? 'hi' : '', title: `${(i / s.histogram.length).toFixed(2)}–${((i + 1) / s.histogram.length).toFixed(2)}: ${n}` });
    bar.style.height = ((n / max) * 100).toFixed(1) + '%';
    return bar;
  }));
  renderModel(s.model);
  renderFeatureFilter(s.featureColumns ?? []);
  state.truth = s.truthAccuracy !== null;
  $('truth-h').hidden = !state.truth;
}

async function loadStream(): Promise<void> {
  renderStream((await api<{ stream: StreamView | null }>('/api/stream')).stream);
}

/** The stream's health as it wrote it into the store; hidden when no stream has. */
function renderStream(s: StreamView | null): void {
  const box = $('stream');
  box.hidden = s === null;
  if (!s) return;
  box.classList.toggle('stale', s.stale);
  const rate = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const dead = s.deadLetters.reduce((a, d) => a + d.count, 0);
  box.replaceChildren(...present(
    h('h3', {}, 'stream ', h('span', { class: 'age', title: s.updatedAt }, `updated ${s.ageS} s ago${s.stale ? ' (stale)' : ''}`)),
    h('dl', {},
      h('dt', {}, 'lag (sum / max)'), h('dd', { data: { k: 'lag' } }, `${s.lag.sum} / ${s.lag.max}`),
      h('dt', {}, 'points/s'), h('dd', { data: { k: 'points' } }, rate(s.pointsPerS)),
      h('dt', {}, 'messages/s'), h('dd', { data: { k: 'messages' } }, rate(s.messagesPerS)),
      h('dt', {}, 'dead letters'), h('dd', { data: { k: 'dead' } }, String(dead))),
    h('p', { class: 'muted', data: { k: 'partitions' } }, 'lag by partition: ', s.partitions.map((p) => `${p.partition}: ${p.lag}`).join(' · ') || '–'),
    s.deadLetters.length > 0 && h('ul', { class: 'reasons' }, ...s.deadLetters.map((d) => h('li', {}, `${d.count} × ${d.reason}`))),
  ));
}

function renderFeatureFilter(columns: string[]): void {
  const sel = $<HTMLSelectElement>('feature');
  $('feature-filter').hidden = columns.length === 0;
  const have = Array.from(sel.options).slice(1).map((o) => o.value);
  if (have.join() === columns.join()) return;
  const keep = sel.value;
  sel.replaceChildren(sel.options[0], ...columns.map((c) => { const o = document.createElement('option'); o.value = c; o.textContent = c; return o; }));
  sel.value = columns.includes(keep) ? keep : '';
  // the same columns as sort orders of the table (sort=-feature:COLUMN), after the fixed ones
  const sort = $<HTMLSelectElement>('sort');
  const chosen = sort.value;
  for (const o of Array.from(sort.options)) if (o.value.replace(/^-/, '').startsWith('feature:')) o.remove();
  for (const c of columns) {
    for (const [v, arrow] of [[`-feature:${c}`, '↓'], [`feature:${c}`, '↑']] as const) {
      const o = document.createElement('option');
      o.value = v;
      o.textContent = `${c} ${arrow}`;
      sort.append(o);
    }
  }
  sort.value = Array.from(sort.options).some((o) => o.value === chosen) ? chosen : sort.options[0].value;
}

function renderModel(m: ModelInfo | null): void {
  const box = $('model');
  box.hidden = m === null || m.current === null;
  const c = m?.current;
  if (!m || !c) return;
  const s = c.summary;
  const dd = s.domainDistance ? `${s.domainDistance.before.toFixed(3)} → ${s.domainDistance.after.toFixed(3)}` : '–';
  const byVersion = Object.entries(m.vehiclesByVersion).sort((a, b) => (a[0] < b[0] ? 1 : -1));
  box.replaceChildren(
    h('h3', {}, 'model ', h('code', { title: c.createdAt }, c.id)),
    h('dl', {},
      h('dt', {}, 'co-training rounds'), h('dd', {}, String(s.rounds)),
      h('dt', {}, 'M1/M2 agreement'), h('dd', {}, s.agreement === null ? '–' : pct(s.agreement)),
      h('dt', {}, 'domain distance (MMD)'), h('dd', {}, dd),
      h('dt', {}, 'members'), h('dd', {}, String(s.members)),
      s.stopReason && h('dt', {}, 'stopped'), s.stopReason && h('dd', {}, s.stopReason)),
    h('p', { class: 'muted' }, `${m.versions} version(s); vehicles by version of their label: `, byVersion.map(([v, n]) => `${v.slice(-8)} ${n}`).join(' · ')),
  );
}

function query(): URLSearchParams {
  const q = new URLSearchParams({ sort: $<HTMLSelectElement>('sort').value, offset: String(state.offset), limit: String(PAGE_SIZE) });
  for (const id of ['label', 'confidence', 'disagree', 'reviewed', 'flagged', 'stale', 'flipped']) {
    const v = $<HTMLSelectElement>(id).value;
    if (v) q.set(id, v);
  }
  const feature = $<HTMLSelectElement>('feature').value;
  if (feature) {
    q.set('feature', feature);
    for (const id of ['fmin', 'fmax']) {
      const v = $<HTMLInputElement>(id).value.trim();
      if (v) q.set(id, v);
    }
  }
  const search = $<HTMLInputElement>('q').value.trim();
  if (search) q.set('q', search);
  return q;
}

function probabilityCell(p: number): HTMLElement {
  const fill = h('i');
  fill.style.width = (p * 100).toFixed(0) + '%';
  return h('td', {}, h('span', { class: 'bar' }, fill), fmt(p));
}

function rowOf(r: Row, i: number): HTMLElement {
  return h('tr', { data: { id: r.vehicleId, i: String(i) } },
    h('td', { class: 'id', title: r.vehicleId }, r.vehicleId),
    h('td', { class: cls(r.label) }, r.label),
    probabilityCell(r.pShared),
    h('td', {}, fmt(r.pRf)),
    h('td', {}, fmt(r.pCnn)),
    h('td', {}, ...r.flags.map((f) => h('span', { class: 'tag warn' }, f)), r.disagree && h('span', { class: 'tag' }, 'disagree'),
      r.stale && h('span', { class: 'tag' }, 'stale'), (r.flips ?? 0) > 0 && h('span', { class: 'tag warn' }, 'flipped')),
    state.truth && h('td', { class: cls(r.truth) }, r.truth ?? ''),
    h('td', { class: 'review' }, r.review && h('span', { class: cls(r.review.verdict) }, r.review.verdict)));
}

let loading = 0;
async function loadRows(): Promise<void> {
  const mine = ++loading;
  const res = await api<{ total: number; rows: Row[] }>('/api/vehicles?' + query().toString());
  if (mine !== loading) return; // a later filter change has its own answer on the way
  state.rows = res.rows;
  $('rows').replaceChildren(...res.rows.map(rowOf));
  const pages = Math.max(1, Math.ceil(res.total / PAGE_SIZE));
  $('page').textContent = `page ${Math.floor(state.offset / PAGE_SIZE) + 1} of ${pages} · ${res.total} vehicles`;
  $<HTMLButtonElement>('prev').disabled = state.offset === 0;
  $<HTMLButtonElement>('next').disabled = state.offset + PAGE_SIZE >= res.total;
  if (state.sel >= res.rows.length) state.sel = res.rows.length - 1;
  highlight();
}

function highlight(): void {
  for (const tr of Array.from($('rows').children) as HTMLElement[]) tr.classList.toggle('sel', Number(tr.dataset.i) === state.sel);
}

function verdictButton(v: string, key: string): HTMLElement {
  const b = h('button', { class: cls(v), data: { v } }, `${v} (${key})`) as HTMLButtonElement;
  b.type = 'button';
  b.disabled = state.session.reviewer === null;
  b.onclick = () => void review(v);
  return b;
}

function renderDetail(r: Detail): void {
  const img = r.hasImage ? document.createElement('img') : null;
  if (img) {
    img.alt = '7-day trajectory image';
    img.src = '/images/' + encodeURIComponent(r.vehicleId) + '.png';
  }
  const note = document.createElement('input');
  note.id = 'note';
  note.placeholder = 'note (optional)';
  note.maxLength = 2000;
  note.disabled = state.session.reviewer === null;
  const when = (at: number) => new Date(at).toISOString().slice(0, 16).replace('T', ' ');
  $('detail').replaceChildren(...present(
    h('h2', {}, r.vehicleId),
    h('p', {}, 'predicted ', h('span', { class: cls(r.label) }, r.label), ` · p_shared ${fmt(r.pShared)} (RF ${fmt(r.pRf)}, CNN ${fmt(r.pCnn)})`),
    r.truth !== undefined && h('p', {}, 'truth: ', h('span', { class: cls(r.truth) }, r.truth), r.stratum ? ` (${r.stratum})` : ''),
    r.flags.length > 0 && h('p', {}, ...r.flags.map((f) => h('span', { class: 'tag warn' }, f))),
    img ?? h('p', { class: 'muted' }, 'no trajectory image'),
    dayImagesOf(r),
    h('div', { class: 'verdicts' }, verdictButton('shared', 's'), verdictButton('private', 'p'), verdictButton('unsure', 'u')),
    note,
    state.session.reviewer === null && h('p', { class: 'muted' }, state.session.writable ? 'Sign in with a review token to record a verdict.' : 'This server is read-only: it takes no verdicts.'),
    r.modelVersion !== undefined && h('p', { class: 'muted' }, `model ${r.modelVersion} · scored ${when(r.scoredAt ?? 0)}`),
    r.hasTrack && h('div', { class: 'map-slot' }, h('p', { class: 'muted' }, 'loading the track…')),
    r.explanation && explanationOf(r),
    r.distributions && Object.keys(r.distributions).length > 0 && distributionsOf(r.distributions),
    r.labelHistory !== undefined && h('h3', {}, 'label history'),
    r.labelHistory !== undefined && h('ol', { class: 'label-history' }, ...r.labelHistory.map((x) => h('li', {}, `${when(x.scoredAt)} `,
      x.previous ? h('span', { class: cls(x.previous) }, x.previous) : 'first label', ' → ', h('b', { class: cls(x.label) }, x.label),
      ` (p ${fmt(x.pShared)}, model ${x.modelVersion.slice(-8)})`, x.flags.length ? ' ' + x.flags.join(', ') : ''))),
    r.features && h('h3', {}, 'features (latest scoring)'),
    r.features && h('table', { class: 'features' }, h('tbody', {}, ...Object.entries(r.features).map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, Number.isFinite(v) ? v.toFixed(3) : '–'))))),
    h('h3', {}, 'reviews'),
    h('ol', {}, ...r.history.map((x) => h('li', {}, `${when(x.at)} ${x.reviewer || 'anonymous'}: `, h('b', { class: cls(x.verdict) }, x.verdict), x.note ? ' ' + x.note : ''))),
  ));
  $('detail').querySelector('ol:not(.label-history)')!.id = 'history';
  if (r.hasTrack) void loadTrack(r.vehicleId);
}

async function loadTrack(id: string): Promise<void> {
  const t = await api<Track>('/api/vehicles/' + encodeURIComponent(id) + '/track');
  const slot = document.querySelector('#detail .map-slot');
  if (slot && document.querySelector('#detail h2')?.textContent === id) slot.replaceChildren(trackMap(t));
}

async function select(i: number): Promise<void> {
  if (i < 0 || i >= state.rows.length) return;
  state.sel = i;
  highlight();
  renderDetail(await api<Detail>('/api/vehicles/' + encodeURIComponent(state.rows[i].vehicleId)));
}

async function review(verdict: string): Promise<void> {
  const r = state.rows[state.sel];
  if (!r) return;
  if (state.session.reviewer === null) return toast('Read-only: sign in with a review token to record a verdict.');
  const note = document.getElementById('note') as HTMLInputElement | null;
  try {
    await api('/api/vehicles/' + encodeURIComponent(r.vehicleId) + '/review', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-cotrans-review': '1' },
      body: JSON.stringify({ verdict, note: note?.value ?? '' }),
    });
  } catch (e) {
    return toast('Not saved: ' + (e as Error).message);
  }
  await Promise.all([loadSummary(), loadRows()]);
  await select(state.sel);
}

/** New labels or reviews from other processes: the overview and the page in view follow them. */
async function refresh(): Promise<void> {
  await loadStream();
  const s = await api<Summary>('/api/summary');
  if (JSON.stringify(s) === shownSummary) return;
  renderSummary(s);
  await loadRows();
}

function reload(): void {
  state.offset = 0;
  state.sel = -1;
  void loadRows();
}

async function signIn(e: Event): Promise<void> {
  e.preventDefault();
  const input = $<HTMLInputElement>('token');
  sessionStorage.setItem(TOKEN_KEY, input.value.trim());
  input.value = '';
  try {
    await loadSession();
  } catch (err) {
    sessionStorage.removeItem(TOKEN_KEY);
    await loadSession();
    return toast('Sign-in failed: ' + (err as Error).message);
  }
  $('toast').hidden = true;
  if (state.sel >= 0) await select(state.sel);
}

function wire(): void {
  $('rows').onclick = (e) => {
    const tr = (e.target as HTMLElement).closest('tr');
    if (tr) void select(Number(tr.dataset.i));
  };
  for (const id of ['label', 'confidence', 'disagree', 'reviewed', 'flagged', 'stale', 'flipped', 'sort']) $(id).onchange = reload;
  $('q').oninput = reload;
  $('feature').onchange = reload;
  $('fmin').oninput = reload;
  $('fmax').oninput = reload;
  $('queue').onclick = () => {
    for (const id of ['label', 'confidence', 'disagree', 'flagged', 'stale', 'flipped', 'feature']) $<HTMLSelectElement>(id).value = '';
    $<HTMLSelectElement>('reviewed').value = '0';
    $<HTMLSelectElement>('sort').value = '-priority';
    $<HTMLInputElement>('q').value = '';
    reload();
  };
  const turn = (delta: number) => {
    state.offset = Math.max(0, state.offset + delta);
    state.sel = -1;
    void loadRows().then(() => $('controls').scrollIntoView({ block: 'start' }));
  };
  $('prev').onclick = () => turn(-PAGE_SIZE);
  $('next').onclick = () => turn(PAGE_SIZE);
  $('signin').onsubmit = (e) => void signIn(e);
  $('signout').onclick = () => {
    sessionStorage.removeItem(TOKEN_KEY);
    void loadSession().then(() => (state.sel >= 0 ? select(state.sel) : undefined));
  };
  document.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement;
    if (t.tagName === 'INPUT' || t.tagName === 'SELECT' || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'j') void select(state.sel + 1);
    else if (e.key === 'k') void select(state.sel - 1);
    else if (e.key === 's') void review('shared');
    else if (e.key === 'p') void review('private');
    else if (e.key === 'u') void review('unsure');
    else if (e.key === '/') { e.preventDefault(); $('q').focus(); }
  });
}

wire();
Promise.all([
  loadSession().catch(() => { sessionStorage.removeItem(TOKEN_KEY); return loadSession(); }),
  loadSummary(),
  loadStream(),
  loadRows(),
])
  .then(() => {
    document.body.dataset.ready = '1';
    window.setInterval(() => void refresh(), REFRESH_MS);
  })
  .catch((e: Error) => toast('Could not load: ' + e.message));
export {};
