/**
 * Minimal SVG charts for docs/RESULTS.md (no plotting library): a line
 * chart and a labelled scatter, both with a log-scale x axis, as text.
 */

export interface Series {
  name: string;
  points: [number, number][];
  /** Dashed: a reference level (e.g. L2D-G beside an L2D-L sweep). */
  dashed?: boolean;
  /** Index into the palette (default: the series' position). */
  colour?: number;
}

export interface LabelledPoint {
  label: string;
  x: number;
  y: number;
  /** Points of one family share a colour. */
  group: string;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];
const W = 640;
const H = 400;
const M = { left: 64, right: 170, top: 36, bottom: 52 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Axes {
  x: (v: number) => number;
  y: (v: number) => number;
  parts: string[];
}

/** Frame, log-x ticks at 1-2-5 steps, linear y ticks, titles. */
function axes(title: string, xLabel: string, yLabel: string, xs: number[], ys: number[]): Axes {
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const lo = Math.log10(xMin) - 0.08;
  const hi = Math.log10(xMax) + 0.08;
  const yMax = Math.max(...ys) * 1.12 || 1;
  const x = (v: number) => M.left + ((Math.log10(v) - lo) / (hi - lo)) * (W - M.left - M.right);
  const y = (v: number) => H - M.bottom - (v / yMax) * (H - M.top - M.bottom);
  const parts = [
    `<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#888"/>`,
    `<text x="${W / 2 - M.right / 2 + M.left / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="16" y="${(M.top + H - M.bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(M.top + H - M.bottom) / 2})">${esc(yLabel)}</text>`,
  ];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (Math.log10(v) < lo || Math.log10(v) > hi) continue;
      parts.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${H - M.bottom}" y2="${H - M.bottom + 5}" stroke="#888"/>`);
      parts.push(`<text x="${x(v)}" y="${H - M.bottom + 18}" text-anchor="middle" font-size="11">${v >= 1 ? v : v.toPrecision(1)}</text>`);
    }
  }
  const step = niceStep(yMax / 5);
  for (let v = 0; v <= yMax; v += step) {
    parts.push(`<line x1="${M.left - 5}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${M.left - 8}" y="${y(v) + 4}" text-anchor="end" font-size="11">${Number(v.toFixed(4))}</text>`);
  }
  return { x, y, parts };
}

function niceStep(raw: number): number {
  const e = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * e).find((s) => s >= raw) ?? raw;
}

function svg(parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12">\n<rect width="${W}" height="${H}" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}

export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const all = series.flatMap((s) => s.points);
  const a = axes(title, xLabel, yLabel, all.map((p) => p[0]), all.map((p) => p[1]));
  series.forEach((s, i) => {
    const colour = COLOURS[(s.colour ?? i) % COLOURS.length];
    const path = s.points.map(([px, py], j) => `${j ? 'L' : 'M'}${a.x(px).toFixed(1)},${a.y(py).toFixed(1)}`).join(' ');
    a.parts.push(`<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    if (!s.dashed) for (const [px, py] of s.points) a.parts.push(`<circle cx="${a.x(px).toFixed(1)}" cy="${a.y(py).toFixed(1)}" r="3" fill="${colour}"/>`);
    const ly = M.top + 14 + i * 18;
    a.parts.push(`<line x1="${W - M.right + 10}" x2="${W - M.right + 30}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    a.parts.push(`<text x="${W - M.right + 36}" y="${ly}">${esc(s.name)}</text>`);
  });
  return svg(a.parts);
}

export function scatterChart(title: string, xLabel: string, yLabel: string, points: LabelledPoint[]): string {
  const a = axes(title, xLabel, yLabel, points.map((p) => p.x), points.map((p) => p.y));
  const groups = [...new Set(points.map((p) => p.group))];
  for (const p of points) {
    const colour = COLOURS[groups.indexOf(p.group) % COLOURS.length];
    a.parts.push(`<circle cx="${a.x(p.x).toFixed(1)}" cy="${a.y(p.y).toFixed(1)}" r="5" fill="${colour}"/>`);
    a.parts.push(`<text x="${(a.x(p.x) + 8).toFixed(1)}" y="${(a.y(p.y) - 6).toFixed(1)}" font-size="11">${esc(p.label)}</text>`);
  }
  groups.forEach((g, i) => {
    const ly = M.top + 14 + i * 18;
    a.parts.push(`<circle cx="${W - M.right + 20}" cy="${ly - 4}" r="5" fill="${COLOURS[i % COLOURS.length]}"/>`);
    a.parts.push(`<text x="${W - M.right + 32}" y="${ly}">${esc(g)}</text>`);
  });
  return svg(a.parts);
}
