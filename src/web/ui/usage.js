// Usage by tenant and by GPU model, per day, in GPU-hours or cost. Data: GET /v1/usage
// (by=tenant,model, period=day).
import {ApiError} from './api.js';
import {h, replace, notice, table, field} from './dom.js';
import * as fmt from './format.js';
import {stackedColumns, horizontalBars} from './chart.js';
import {tenantColors, colorOf, legend} from './pool.js';

const RANGES = [['month', 'This month'], ['7', 'Last 7 days'], ['30', 'Last 30 days']];
const METRICS = [['gpu_hours', 'GPU-hours'], ['cost', 'Cost']];
const MODEL_COLORS = ['#1f5fa8', '#b5460f', '#1b7a4b', '#7b3f99', '#a3195b', '#5c6b00'];
const DAY_MS = 86400000;

export async function UsagePage(root, ctx) {
  const range = h('select', {id: 'usage-range'}, RANGES.map(([v, l]) => h('option', {value: v}, l)));
  const metric = h('select', {id: 'usage-metric'}, METRICS.map(([v, l]) => h('option', {value: v}, l)));
  const body = h('div', {class: 'usage'});
  replace(root, h('h1', {}, 'Usage'),
    h('div', {class: 'toolbar'}, field('Period', range), field('Show', metric)), body);
  let report = null;
  const redraw = () => report && draw(body, report, metric.value);
  const load = async () => {
    const q = new URLSearchParams({by: 'tenant,model', period: 'day'});
    if (range.value !== 'month') {
      q.set('from', new Date(Date.now() - (Number(range.value) - 1) * DAY_MS).toISOString().slice(0, 10));
    }
    try {
      report = await ctx.api.get(`/v1/usage?${q}`, {signal: ctx.signal});
    } catch (e) {
      if (e instanceof ApiError && e.noRoute) {
        report = null;
        return replace(body, notice('info', 'This server does not meter usage (it has no GET /v1/usage).'));
      }
      throw e;
    }
    if (ctx.alive) redraw();
  };
  range.addEventListener('change', () => load().catch((e) => ctx.fail(e)));
  metric.addEventListener('change', redraw);
  ctx.every(10000, load);
}

// Every UTC day from from_ms up to (not including) to_ms, as "YYYY-MM-DD"; at most 62.
function days(report) {
  const out = [];
  for (let t = Math.floor(report.from_ms / DAY_MS) * DAY_MS; t < report.to_ms && out.length < 62; t += DAY_MS) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out.length ? out : [report.from];
}

function sum(rows, key, metric) {
  const out = new Map();
  for (const r of rows) out.set(key(r), (out.get(key(r)) || 0) + (r[metric] || 0));
  return out;
}

function draw(el, report, metric) {
  const unit = metric === 'cost' ? (report.currency || 'cost') : 'GPU-hours';
  const rows = report.rows || [];
  const total = report.total || {};
  const totals = h('section', {class: 'summary', 'aria-label': 'Totals'},
    stat('GPU-hours', fmt.quantity(total.gpu_hours)),
    stat('CPU-hours', fmt.quantity(total.cpu_hours)),
    stat('cost', fmt.money(total.cost, report.currency)),
    stat('period', period(report), 'small'));
  if (rows.length === 0) {
    return replace(el, totals, notice('info', `No usage from ${report.from} to ${report.to} yet.`));
  }
  const categories = days(report);
  const tenants = [...new Set(rows.map((r) => r.tenant))].sort();
  const colors = tenantColors(tenants);
  const series = tenants.map((t) => {
    const perDay = sum(rows.filter((r) => r.tenant === t), (r) => r.period, metric);
    return {name: t, color: colorOf(colors, t)[0], values: categories.map((d) => perDay.get(d) || 0)};
  });
  const models = [...sum(rows, (r) => r.model, metric).entries()]
    .filter(([model, v]) => v > 0 || (metric !== 'cost' && model !== 'host'))
    .sort((a, b) => b[1] - a[1])
    .map(([name, value], i) => ({name, value, color: MODEL_COLORS[i % MODEL_COLORS.length]}));
  const byPair = new Map();
  for (const r of rows) {
    const k = `${r.tenant}\u0000${r.model}`;
    const acc = byPair.get(k) || {tenant: r.tenant, model: r.model, gpu_hours: 0, cpu_hours: 0, cost: 0};
    acc.gpu_hours += r.gpu_hours || 0;
    acc.cpu_hours += r.cpu_hours || 0;
    acc.cost += r.cost || 0;
    byPair.set(k, acc);
  }
  replace(el, totals,
    h('section', {class: 'card', 'aria-labelledby': 'by-tenant'},
      h('h2', {id: 'by-tenant'}, `${unit} per day, by tenant`), legend(colors),
      stackedColumns({categories, series, unit, label: `${unit} per day by tenant, ${report.from} to ${report.to}`})),
    h('section', {class: 'card', 'aria-labelledby': 'by-model'},
      h('h2', {id: 'by-model'}, `${unit} by GPU model`),
      models.length ? horizontalBars({rows: models, unit, label: `${unit} by GPU model`})
        : h('p', {class: 'muted'}, 'No GPU usage.')),
    h('section', {'aria-labelledby': 'usage-table'},
      h('h2', {id: 'usage-table'}, 'By tenant and model'),
      table([
        {label: 'Tenant', cell: (r) => r.tenant},
        {label: 'Model', cell: (r) => r.model},
        {label: 'GPU-hours', cell: (r) => fmt.quantity(r.gpu_hours), className: 'num'},
        {label: 'CPU-hours', cell: (r) => fmt.quantity(r.cpu_hours), className: 'num'},
        {label: 'Cost', cell: (r) => fmt.money(r.cost, report.currency), className: 'num'},
      ], [...byPair.values()].sort((a, b) => a.tenant.localeCompare(b.tenant) || a.model.localeCompare(b.model)))));
}

// "2024-05-01 to now", or to the day before an exclusive midnight end, or to an instant.
function period(report) {
  if (Math.abs(Date.now() - report.to_ms) < 120000) return `${report.from} to now`;
  if (report.to_ms % DAY_MS === 0) return `${report.from} to ${new Date(report.to_ms - DAY_MS).toISOString().slice(0, 10)}`;
  return `${report.from} to ${fmt.time(report.to_ms)}`;
}

function stat(label, value, size) {
  return h('div', {class: `stat ${size || ''}`}, h('span', {class: 'stat-value'}, value),
    h('span', {class: 'stat-label'}, label));
}
