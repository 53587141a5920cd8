// Line charts as SVG we write ourselves, rasterised to PNG by sharp (no plotting dependency).
import sharp from 'sharp';

export interface Series {
  name: string;
  points: [number, number][];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function lineChartSvg(opts: { title: string; xLabel: string; yLabel: string; series: Series[]; xRange?: [number, number]; yRange?: [number, number]; diagonal?: boolean; legend?: 'top-right' | 'bottom-right' | 'bottom-left' }): string {
  const W = 640;
  const H = 480;
  const m = { l: 64, r: 20, t: 40, b: 56 };
  const [x0, x1] = opts.xRange ?? [0, 1];
  const [y0, y1] = opts.yRange ?? [0, 1];
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="13">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16">${esc(opts.title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const xv = x0 + ((x1 - x0) * i) / 5;
    const yv = y0 + ((y1 - y0) * i) / 5;
    parts.push(`<line x1="${px(xv)}" y1="${py(y0)}" x2="${px(xv)}" y2="${py(y1)}" stroke="#eee"/>`);
    parts.push(`<line x1="${px(x0)}" y1="${py(yv)}" x2="${px(x1)}" y2="${py(yv)}" stroke="#eee"/>`);
    parts.push(`<text x="${px(xv)}" y="${H - m.b + 18}" text-anchor="middle">${+xv.toFixed(2)}</text>`);
    parts.push(`<text x="${m.l - 8}" y="${py(yv) + 4}" text-anchor="end">${+yv.toFixed(2)}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 14}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  parts.push(`<text transform="translate(18 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  if (opts.diagonal) parts.push(`<line x1="${px(x0)}" y1="${py(y0)}" x2="${px(x1)}" y2="${py(y1)}" stroke="#aaa" stroke-dasharray="4 4"/>`);
  opts.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const d = s.points.map(([x, y], k) => `${k ? 'L' : 'M'}${px(Math.min(x1, Math.max(x0, x))).toFixed(1)},${py(Math.min(y1, Math.max(y0, y))).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="2"/>`);
    const longest = Math.max(...opts.series.map((x) => x.name.length));
    const boxW = 40 + longest * 7.2;
    const pos = opts.legend ?? 'top-right';
    const ly = (pos === 'top-right' ? m.t + 18 : H - m.b - 10 - (opts.series.length - 1) * 18) + i * 18;
    const lx = pos === 'bottom-left' ? m.l + 12 : W - m.r - boxW;
    parts.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 22}" y2="${ly - 4}" stroke="${c}" stroke-width="3"/>`);
    parts.push(`<text x="${lx + 28}" y="${ly}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export async function writeSvgPng(svg: string, file: string): Promise<void> {
  await sharp(Buffer.from(svg)).png().toFile(file);
}
