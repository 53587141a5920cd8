// The week's track as SVG, no tiles: an equirectangular projection around the track's centre,
// one polyline per day in its own colour, stops as circles; the wheel zooms about the pointer and
// a drag pans (both by changing the viewBox).
export interface TrackDay { day: string; points: [number, number, number][] }
export interface Stop { lat: number; lon: number; start: number; end: number }
export interface Track { days: TrackDay[]; stops: Stop[]; points: number }

export const DAY_COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f'];
const NS = 'http://www.w3.org/2000/svg';
const SIZE = 300;

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** The map and its legend for a track. */
export function trackMap(t: Track): HTMLElement {
  const all = t.days.flatMap((d) => d.points);
  const lats = all.map((p) => p[1]), lons = all.map((p) => p[0]);
  const lat0 = (Math.min(...lats) + Math.max(...lats)) / 2;
  const k = Math.cos((lat0 * Math.PI) / 180);
  const xs = lons.map((x) => x * k);
  const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...lats), maxY = Math.max(...lats);
  const span = Math.max(maxX - minX, maxY - minY, 1e-4) * 1.08;
  const cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
  const px = (lon: number) => ((lon * k - cx) / span + 0.5) * SIZE;
  const py = (lat: number) => (0.5 - (lat - cy) / span) * SIZE;
  const root = svg('svg', { viewBox: `0 0 ${SIZE} ${SIZE}`, width: SIZE, height: SIZE, role: 'img', 'aria-label': 'week track' }) as SVGSVGElement;
  root.id = 'track';
  root.append(svg('rect', { x: -10 * SIZE, y: -10 * SIZE, width: 21 * SIZE, height: 21 * SIZE, fill: '#f8fafc' }));
  t.days.forEach((d, i) => {
    const line = svg('polyline', { points: d.points.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' '), fill: 'none', stroke: DAY_COLOURS[i % DAY_COLOURS.length], 'stroke-width': 1.2, 'stroke-opacity': 0.85, 'vector-effect': 'non-scaling-stroke' });
    line.dataset.day = d.day;
    root.append(line);
  });
  for (const s of t.stops) {
    const c = svg('circle', { cx: px(s.lon).toFixed(1), cy: py(s.lat).toFixed(1), r: 3, fill: '#111827', 'fill-opacity': 0.7, class: 'stop' });
    const title = svg('title', {});
    title.textContent = `stop ${new Date(s.start).toISOString().slice(0, 16).replace('T', ' ')}, ${Math.round((s.end - s.start) / 60000)} min`;
    c.append(title);
    root.append(c);
  }
  let view = { x: 0, y: 0, w: SIZE };
  const apply = () => root.setAttribute('viewBox', `${view.x} ${view.y} ${view.w} ${view.w}`);
  root.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = root.getBoundingClientRect();
    const fx = (e.clientX - r.left) / r.width, fy = (e.clientY - r.top) / r.height;
    const w = Math.min(SIZE * 4, Math.max(SIZE / 64, view.w * (e.deltaY > 0 ? 1.25 : 0.8)));
    view = { x: view.x + (view.w - w) * fx, y: view.y + (view.w - w) * fy, w };
    apply();
  }, { passive: false });
  let drag: { x: number; y: number; vx: number; vy: number } | null = null;
  root.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y };
    root.setPointerCapture(e.pointerId);
  });
  root.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const s = view.w / root.getBoundingClientRect().width;
    view = { ...view, x: drag.vx - (e.clientX - drag.x) * s, y: drag.vy - (e.clientY - drag.y) * s };
    apply();
  });
  root.addEventListener('pointerup', () => { drag = null; });
  const legend = document.createElement('p');
  legend.className = 'legend';
  t.days.forEach((d, i) => {
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = DAY_COLOURS[i % DAY_COLOURS.length];
    legend.append(sw, d.day + ' ');
  });
  legend.append(`· ${t.stops.length} stops · ${t.points} fixes · wheel zooms, drag pans`);
  const fig = document.createElement('figure');
  fig.className = 'map';
  fig.append(root, legend);
  return fig;
}
