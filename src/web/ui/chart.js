// SVG charts drawn from plain data: stacked columns (one per category, one color per series)
// and horizontal bars. Each mark has a <title> (its value on hover), and the chart has a text
// label; the page shows the same figures in a table beside it.
import {s} from './dom.js';
import * as fmt from './format.js';

const W = 720;
const H = 260;
const PAD = {top: 12, right: 12, bottom: 40, left: 56};

// "Nice" upper bound and step for an axis from 0 to max.
function niceScale(max, ticks = 4) {
  if (!(max > 0)) return {top: 1, step: 0.25};
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw);
  return {top: step * Math.ceil(max / step), step};
}

// categories: ['2024-05-01', ...]; series: [{name, color, values: [number per category]}].
export function stackedColumns({categories, series, unit, label}) {
  const totals = categories.map((_, i) => series.reduce((sum, se) => sum + (se.values[i] || 0), 0));
  const {top, step} = niceScale(Math.max(0, ...totals));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + plotH - (v / top) * plotH;
  const band = plotW / Math.max(1, categories.length);
  const barW = Math.max(2, Math.min(48, band * 0.7));
  const svg = s('svg', {viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': label});
  svg.append(s('title', {}, label));
  for (let v = 0; v <= top + step / 2; v += step) {
    svg.append(s('line', {x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: 'gridline'}));
    svg.append(s('text', {x: PAD.left - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end'}, fmt.quantity(Number(v.toPrecision(6)))));
  }
  svg.append(s('text', {x: 12, y: PAD.top + plotH / 2, class: 'axis-label', 'text-anchor': 'middle',
    transform: `rotate(-90 12 ${PAD.top + plotH / 2})`}, unit));
  const every = Math.ceil(categories.length / 12);  // at most 12 labels
  categories.forEach((cat, i) => {
    const x = PAD.left + band * i + (band - barW) / 2;
    let base = 0;
    for (const se of series) {
      const v = se.values[i] || 0;
      if (v <= 0) continue;
      const rect = s('rect', {x, width: barW, y: y(base + v), height: Math.max(0.5, y(base) - y(base + v)),
        fill: se.color, class: 'mark', dataset: {series: se.name, category: cat}});
      rect.append(s('title', {}, `${cat} · ${se.name}: ${fmt.quantity(v)} ${unit}`));
      svg.append(rect);
      base += v;
    }
    if (i % every === 0) {
      svg.append(s('text', {x: x + barW / 2, y: H - PAD.bottom + 16, class: 'tick', 'text-anchor': 'middle'},
        shortLabel(cat)));
    }
  });
  svg.append(s('line', {x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0), class: 'axis'}));
  return svg;
}

// rows: [{name, value, color}], largest first.
export function horizontalBars({rows, unit, label}) {
  const rowH = 28;
  const height = PAD.top + rows.length * rowH + 8;
  const left = 150;
  const right = 170;
  const max = Math.max(0, ...rows.map((r) => r.value));
  const svg = s('svg', {viewBox: `0 0 ${W} ${height}`, class: 'chart', role: 'img', 'aria-label': label});
  svg.append(s('title', {}, label));
  rows.forEach((r, i) => {
    const y = PAD.top + i * rowH;
    const w = max > 0 ? (r.value / max) * (W - left - right) : 0;
    svg.append(s('text', {x: left - 8, y: y + rowH / 2 + 4, class: 'tick', 'text-anchor': 'end'}, r.name));
    const rect = s('rect', {x: left, y: y + 4, width: Math.max(r.value > 0 ? 1 : 0, w), height: rowH - 8,
      fill: r.color, class: 'mark', dataset: {series: r.name}});
    rect.append(s('title', {}, `${r.name}: ${fmt.quantity(r.value)} ${unit}`));
    svg.append(rect);
    svg.append(s('text', {x: left + w + 6, y: y + rowH / 2 + 4, class: 'tick'}, `${fmt.quantity(r.value)} ${unit}`));
  });
  return svg;
}

function shortLabel(cat) {
  const m = /^\d{4}-(\d{2})-(\d{2})$/.exec(cat);
  return m ? `${m[1]}-${m[2]}` : cat;
}
