// The review page: one static HTML document with inline CSS/JS (no build step, no framework):
// a summary, a filterable/sortable vehicle list, and a detail panel where a reviewer records a verdict.
export const PAGE_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CoTrans · label review</title>
<style>
  :root { --shared: #c2410c; --private: #1d4ed8; --muted: #6b7280; --line: #e5e7eb; font-family: system-ui, sans-serif; }
  body { margin: 0; color: #111827; background: #f9fafb; }
  header { padding: 12px 20px; background: #111827; color: #fff; display: flex; gap: 24px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  #summary { display: flex; gap: 10px; flex-wrap: wrap; padding: 12px 20px; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 90px; }
  .card b { display: block; font-size: 20px; }
  .card span { color: var(--muted); font-size: 12px; }
  #controls { display: flex; gap: 8px; padding: 0 20px 10px; flex-wrap: wrap; align-items: center; }
  main { display: grid; grid-template-columns: minmax(0, 1fr) 360px; gap: 16px; padding: 0 20px 20px; }
  table { width: 100%; border-collapse: collapse; background: #fff; font-size: 13px; }
  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th { background: #f3f4f6; position: sticky; top: 0; }
  tr.sel { background: #fef3c7; }
  tbody tr { cursor: pointer; }
  .shared { color: var(--shared); font-weight: 600; }
  .private { color: var(--private); font-weight: 600; }
  .bar { display: inline-block; width: 80px; height: 8px; background: #dbeafe; border-radius: 4px; vertical-align: middle; margin-right: 6px; position: relative; }
  .bar i { position: absolute; left: 0; top: 0; bottom: 0; background: var(--shared); border-radius: 4px; }
  .tag { font-size: 11px; padding: 1px 6px; border-radius: 8px; background: #e5e7eb; margin-right: 3px; }
  .tag.warn { background: #fde68a; }
  aside { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; align-self: start; position: sticky; top: 10px; }
  aside img { width: 240px; height: 240px; image-rendering: pixelated; border: 1px solid var(--line); background: #000; }
  aside .verdicts button { margin: 4px 4px 4px 0; padding: 6px 10px; }
  #pager { padding: 8px 0; display: flex; gap: 8px; align-items: center; }
  .muted { color: var(--muted); font-size: 12px; }
</style>
</head>
<body>
<header><h1>CoTrans label review</h1><span class="muted">keys: j/k move · s shared · p private · u unsure</span></header>
<section id="summary" aria-label="summary"></section>
<section id="controls">
  <select id="label" aria-label="label"><option value="">all labels</option><option value="shared">shared</option><option value="private">private</option></select>
  <select id="filter" aria-label="filter"><option value="">all vehicles</option><option value="uncertain">uncertain</option><option value="disagree">RF/CNN disagree</option><option value="flagged">flagged</option><option value="unreviewed">not reviewed</option><option value="reviewed">reviewed</option></select>
  <select id="sort" aria-label="sort"><option value="-p_shared">p_shared ↓</option><option value="p_shared">p_shared ↑</option><option value="uncertainty">most uncertain</option><option value="vehicle_id">vehicle</option></select>
  <input id="q" placeholder="vehicle id…" aria-label="search">
  <input id="reviewer" placeholder="your name" aria-label="reviewer" size="12">
  <a href="/api/reviews.csv" id="export">export reviews (CSV)</a>
</section>
<main>
  <div>
    <table><thead><tr><th>vehicle</th><th>label</th><th>p_shared</th><th>p_rf</th><th>p_cnn</th><th>flags</th><th id="truth-h" hidden>truth</th><th>review</th></tr></thead><tbody id="rows"></tbody></table>
    <div id="pager"><button id="prev">‹ prev</button><span id="page" class="muted"></span><button id="next">next ›</button></div>
  </div>
  <aside id="detail"><p class="muted">Select a vehicle.</p></aside>
</main>
<script type="module">
const $ = (id) => document.getElementById(id);
const state = { offset: 0, limit: 50, rows: [], sel: -1, truth: false };
const fmt = (p) => (p === null || p === undefined ? '–' : p.toFixed(3));
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
$('reviewer').value = localStorage.getItem('reviewer') || '';
$('reviewer').onchange = () => localStorage.setItem('reviewer', $('reviewer').value);

async function api(path, init) {
  const r = await fetch(path, init);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

async function loadSummary() {
  const s = await api('/api/summary');
  const cards = [['vehicles', s.total], ['shared', s.shared], ['private', s.private], ['uncertain', s.uncertain], ['RF/CNN disagree', s.disagree], ['flagged', s.flagged], ['reviewed', s.reviewed]];
  if (s.reviewAgreement !== null) cards.push(['review agreement', (s.reviewAgreement * 100).toFixed(1) + '%']);
  if (s.truthAccuracy !== null) cards.push(['accuracy vs truth', (s.truthAccuracy * 100).toFixed(1) + '%']);
  $('summary').innerHTML = cards.map(([k, v]) => '<div class="card" data-k="' + esc(k) + '"><b>' + esc(v) + '</b><span>' + esc(k) + '</span></div>').join('');
  state.truth = s.truthAccuracy !== null;
  $('truth-h').hidden = !state.truth;
}

async function loadRows() {
  const q = new URLSearchParams({ label: $('label').value, filter: $('filter').value, sort: $('sort').value, q: $('q').value, offset: state.offset, limit: state.limit });
  const res = await api('/api/vehicles?' + q);
  state.rows = res.rows;
  $('rows').innerHTML = res.rows.map((r, i) =>
    '<tr data-id="' + esc(r.vehicleId) + '" data-i="' + i + '">' +
    '<td>' + esc(r.vehicleId) + '</td><td class="' + r.label + '">' + r.label + '</td>' +
    '<td><span class="bar"><i style="width:' + (r.pShared * 100).toFixed(0) + '%"></i></span>' + fmt(r.pShared) + '</td>' +
    '<td>' + fmt(r.pRf) + '</td><td>' + fmt(r.pCnn) + '</td>' +
    '<td>' + r.flags.map((f) => '<span class="tag warn">' + esc(f) + '</span>').join('') + (r.disagree ? '<span class="tag">disagree</span>' : '') + '</td>' +
    (state.truth ? '<td class="' + esc(r.truth || '') + '">' + esc(r.truth || '') + '</td>' : '') +
    '<td class="review">' + (r.review ? '<span class="' + r.review.verdict + '">' + r.review.verdict + '</span>' : '') + '</td></tr>').join('');
  const pages = Math.max(1, Math.ceil(res.total / state.limit));
  $('page').textContent = 'page ' + (Math.floor(state.offset / state.limit) + 1) + ' of ' + pages + ' · ' + res.total + ' vehicles';
  $('prev').disabled = state.offset === 0;
  $('next').disabled = state.offset + state.limit >= res.total;
  if (state.sel >= res.rows.length) state.sel = res.rows.length - 1;
  highlight();
}

function highlight() {
  for (const tr of $('rows').children) tr.classList.toggle('sel', Number(tr.dataset.i) === state.sel);
}

async function select(i) {
  if (i < 0 || i >= state.rows.length) return;
  state.sel = i;
  highlight();
  const r = await api('/api/vehicles/' + encodeURIComponent(state.rows[i].vehicleId));
  $('detail').innerHTML =
    '<h2>' + esc(r.vehicleId) + '</h2>' +
    '<p>predicted <span class="' + r.label + '">' + r.label + '</span> · p_shared ' + fmt(r.pShared) + ' (RF ' + fmt(r.pRf) + ', CNN ' + fmt(r.pCnn) + ')</p>' +
    (r.truth ? '<p>truth: <span class="' + esc(r.truth) + '">' + esc(r.truth) + '</span>' + (r.stratum ? ' (' + esc(r.stratum) + ')' : '') + '</p>' : '') +
    (r.flags.length ? '<p>' + r.flags.map((f) => '<span class="tag warn">' + esc(f) + '</span>').join('') + '</p>' : '') +
    (r.hasImage ? '<img alt="7-day trajectory image" src="/images/' + encodeURIComponent(r.vehicleId) + '.png">' : '<p class="muted">no trajectory image</p>') +
    '<div class="verdicts"><button data-v="shared">shared (s)</button><button data-v="private">private (p)</button><button data-v="unsure">unsure (u)</button></div>' +
    '<input id="note" placeholder="note (optional)" size="36">' +
    '<h3>history</h3><ol id="history">' + r.history.map((h) => '<li>' + esc(new Date(h.at).toISOString().slice(0, 16)) + ' ' + esc(h.reviewer || 'anonymous') + ': <b>' + h.verdict + '</b> ' + esc(h.note) + '</li>').join('') + '</ol>';
  for (const b of $('detail').querySelectorAll('button[data-v]')) b.onclick = () => review(b.dataset.v);
}

async function review(verdict) {
  const r = state.rows[state.sel];
  if (!r) return;
  const note = $('note') ? $('note').value : '';
  await api('/api/vehicles/' + encodeURIComponent(r.vehicleId) + '/review', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ verdict, note, reviewer: $('reviewer').value }),
  });
  await Promise.all([loadSummary(), loadRows()]);
  await select(state.sel);
}

$('rows').onclick = (e) => { const tr = e.target.closest('tr'); if (tr) select(Number(tr.dataset.i)); };
for (const id of ['label', 'filter', 'sort']) $(id).onchange = () => { state.offset = 0; state.sel = -1; loadRows(); };
$('q').oninput = () => { state.offset = 0; loadRows(); };
$('prev').onclick = () => { state.offset = Math.max(0, state.offset - state.limit); state.sel = -1; loadRows(); };
$('next').onclick = () => { state.offset += state.limit; state.sel = -1; loadRows(); };
document.addEventListener('keydown', (e) => {
  if (e.target.tagName === 'INPUT') return;
  if (e.key === 'j') select(state.sel + 1);
  else if (e.key === 'k') select(state.sel - 1);
  else if (e.key === 's') review('shared');
  else if (e.key === 'p') review('private');
  else if (e.key === 'u') review('unsure');
});
Promise.all([loadSummary(), loadRows()]).then(() => document.body.dataset.ready = '1');
</script>
</body>
</html>
`;
