/** The demo's bar charts: plain elements with widths, no library (and nothing a CSP would block). */

export interface BarSegment {
  className: string;
  value: number;
  title: string;
}

/** One chart row: a label, then segments side by side, `scale` pixels per unit. */
export function barRow(label: string, segments: BarSegment[], scale: number): HTMLDivElement {
  const row = document.createElement('div');
  const name = document.createElement('span');
  name.textContent = label;
  row.append(name);
  for (const s of segments) {
    if (!(s.value > 0)) continue;
    const bar = document.createElement('span');
    bar.className = `bar ${s.className}`;
    bar.style.width = `${Math.max(1, s.value * scale)}px`;
    bar.title = s.title;
    row.append(bar);
  }
  return row;
}
