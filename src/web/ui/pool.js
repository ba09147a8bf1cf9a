// The pool: every node and every GPU as a bar of its slices, colored by tenant, with health and
// the agent's telemetry. Data: GET /v1/gpus (slices) and GET /v1/nodes (nodes, telemetry).
import {h, replace, notice, badge} from './dom.js';
import * as fmt from './format.js';

const PALETTE = [  // background, text: each pair has a contrast of at least 4.5:1
  ['#1f5fa8', '#fff'], ['#1b7a4b', '#fff'], ['#b5460f', '#fff'], ['#7b3f99', '#fff'],
  ['#f2c14e', '#1a1a1a'], ['#8fd0f0', '#1a1a1a'], ['#a3195b', '#fff'], ['#5c6b00', '#fff'],
];
const OTHER = ['#6b7280', '#fff'];

// Colors for a set of tenant names, [background, text] each: the same name gets the same color
// wherever the same set is shown. "" (another tenant, hidden from non-admins) is gray.
export function tenantColors(names) {
  const set = new Set(names);
  const sorted = [...set].filter((n) => n !== '').sort();
  const map = new Map(sorted.map((n, i) => [n, PALETTE[i % PALETTE.length]]));
  if (set.has('')) map.set('', OTHER);
  return map;
}

export function colorOf(colors, tenant) {
  return colors.get(tenant) || OTHER;
}

export function legend(colors) {
  return h('ul', {class: 'legend', 'aria-label': 'Tenants'}, [...colors.entries()].map(([name, [bg, fg]]) =>
    h('li', {}, swatch(bg, fg), name === '' ? 'other tenants' : name)));
}

function swatch(bg, fg) {
  const el = h('span', {class: 'swatch', 'aria-hidden': 'true'});
  el.style.background = bg;
  el.style.color = fg;
  return el;
}

export async function PoolPage(root, ctx) {
  const summary = h('section', {class: 'summary', 'aria-label': 'Pool summary'});
  const body = h('div', {class: 'nodes'});
  replace(root, h('h1', {}, 'Pool'), summary, body);
  ctx.every(2000, async () => {
    const [pool, nodes, jobs] = await Promise.all([
      ctx.api.get('/v1/gpus', {signal: ctx.signal}), ctx.api.get('/v1/nodes', {signal: ctx.signal}),
      ctx.api.get('/v1/jobs?state=scheduled,running&limit=1000', {signal: ctx.signal})]);
    if (!ctx.alive) return;
    const names = new Map(jobs.jobs.map((j) => [j.id, j.name]));
    drawSummary(summary, pool.summary);
    drawNodes(body, nodes.nodes, pool.gpus, names);
  });
}

function drawSummary(el, s) {
  const stat = (label, value, note) => h('div', {class: 'stat'},
    h('span', {class: 'stat-value'}, value), h('span', {class: 'stat-label'}, label),
    note ? h('span', {class: 'stat-note'}, note) : null);
  replace(el,
    stat('nodes', String(s.nodes)),
    stat('GPUs', String(s.gpus), `${s.idle_gpus} idle`),
    stat('free compute', fmt.milli(s.free_milli), `of ${fmt.milli(s.total_milli)}`),
    stat('free GPU memory', fmt.mib(s.free_memory_mib), `of ${fmt.mib(s.total_memory_mib)}`),
    stat('pending jobs', String(s.pending_jobs)));
}

function drawNodes(el, nodes, gpus, names) {
  if (nodes.length === 0) {
    return replace(el, notice('info', 'No node has joined yet. Start one with ',
      h('code', {}, 'fastgpu agent --server URL --join-token TOKEN'), '.'));
  }
  const colors = tenantColors(gpus.flatMap((g) => g.allocations.map((a) => a.tenant)));
  const byNode = new Map();
  for (const g of gpus) {
    if (!byNode.has(g.node)) byNode.set(g.node, []);
    byNode.get(g.node).push(g);
  }
  replace(el, colors.size > 0 ? legend(colors) : null,
    nodes.map((n) => nodeCard(n, byNode.get(n.name) || [], colors, names)));
}

function nodeCard(node, gpus, colors, names) {
  const state = node.state || (node.ready ? 'ready' : 'not_ready');
  const facts = [
    `${node.cpu_milli / 1000} CPUs`, `${fmt.mib(node.memory_mib)} memory`,
    node.simulated ? 'simulated GPUs' : null,
    `seen ${fmt.ago(node.last_seen_ms)}`,
  ].filter(Boolean);
  const labels = Object.entries(node.labels || {}).map(([k, v]) => badge(`${k}=${v}`, 'label'));
  return h('section', {class: 'card node', 'aria-labelledby': `node-${node.name}`, dataset: {node: node.name}},
    h('header', {class: 'node-head'},
      h('h2', {id: `node-${node.name}`}, node.name),
      badge(state.replace('_', ' '), state === 'ready' ? 'ok' : 'warn'),
      h('span', {class: 'muted'}, facts.join(' · ')), labels),
    gpus.length === 0 ? h('p', {class: 'muted'}, 'No GPUs.')
      : h('ul', {class: 'gpus'}, gpus.sort((a, b) => a.index - b.index).map((g) => gpuRow(g, node, colors, names))));
}

function gpuRow(gpu, node, colors, names) {
  const device = (node.devices || []).find((d) => d.index === gpu.index) || {};
  const t = gpu.telemetry || device.telemetry;
  const healthy = gpu.healthy !== false;
  const name = `GPU ${gpu.index}`;
  return h('li', {class: `gpu${healthy ? '' : ' unhealthy'}`, dataset: {gpu: `${gpu.node}/${gpu.index}`}},
    h('div', {class: 'gpu-name'}, h('strong', {}, name), h('span', {class: 'muted'}, gpu.model),
      healthy ? null : badge(`unhealthy${gpu.health ? `: ${gpu.health}` : ''}`, 'bad')),
    h('div', {class: 'gpu-bars'}, computeBar(gpu, colors, names), memoryBar(gpu, colors)),
    h('div', {class: 'gpu-facts'},
      h('span', {}, `free ${fmt.milli(gpu.free_milli)} · ${fmt.mib(gpu.free_memory_mib)} of ${fmt.mib(gpu.memory_mib)}`),
      telemetryText(t, node.simulated)));
}

// The compute bar: one segment per slice, as wide as its share of the GPU (1000 milli).
function computeBar(gpu, colors, names) {
  const used = gpu.allocations.reduce((sum, a) => sum + a.milli, 0);
  const label = `GPU ${gpu.index} compute: ${fmt.milli(used)} of 1 GPU allocated`;
  // A group, not an image: its slices are links to their jobs.
  const bar = h('div', {class: 'bar', role: 'group', 'aria-label': describe(label, gpu.allocations)});
  for (const a of gpu.allocations) {
    if (a.milli <= 0) continue;
    bar.append(segment(a, a.milli / 1000, colors, names.get(a.job) || ''));
  }
  return bar;
}

// The memory bar: each slice's memory out of the device's.
function memoryBar(gpu, colors) {
  const bar = h('div', {class: 'bar thin', role: 'img',
    'aria-label': `GPU ${gpu.index} memory: ${fmt.mib(gpu.memory_mib - gpu.free_memory_mib)} of ${fmt.mib(gpu.memory_mib)} allocated`});
  for (const a of gpu.allocations) {
    if (a.memory_mib <= 0 || gpu.memory_mib <= 0) continue;
    bar.append(segment(a, a.memory_mib / gpu.memory_mib, colors, null));
  }
  return bar;
}

// One slice; `label` (the job's name) is null on the thin memory bar, which has no text.
function segment(a, fraction, colors, label) {
  const [bg, fg] = colorOf(colors, a.tenant);
  const title = a.job > 0
    ? `job ${a.job} (${a.tenant}): ${fmt.milli(a.milli)}, ${fmt.mib(a.memory_mib)}${a.memory_peak_mib != null ? `, peak ${fmt.mib(a.memory_peak_mib)}` : ''}`
    : `another tenant's job: ${fmt.milli(a.milli)}, ${fmt.mib(a.memory_mib)}`;
  const el = a.job > 0 && label !== null
    ? h('a', {class: 'seg', href: `#/jobs/${a.job}`, title, dataset: {job: a.job},
      'aria-label': `${a.job}${label ? ` ${label}` : ''}, ${title}`},  // starts with the visible text
      h('span', {class: 'seg-id'}, String(a.job)), label ? [' ', h('span', {class: 'seg-name'}, label)] : null)
    : h('span', {class: 'seg', title, 'aria-hidden': 'true', dataset: {job: a.job}});
  el.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
  el.style.background = bg;
  el.style.color = fg;
  return el;
}

function describe(label, allocations) {
  const parts = allocations.filter((a) => a.milli > 0).map((a) =>
    a.job > 0 ? `job ${a.job} of ${a.tenant} ${fmt.milli(a.milli)}` : `another tenant ${fmt.milli(a.milli)}`);
  return parts.length ? `${label}: ${parts.join(', ')}` : `${label}: idle`;
}

function telemetryText(t, simulated) {
  const none = simulated ? 'simulated: no telemetry' : 'no telemetry yet';
  if (!t) return h('span', {class: 'muted'}, none);
  const parts = [];
  if (t.utilization_pct !== undefined) parts.push(`util ${t.utilization_pct}%`);
  if (t.memory_used_mib !== undefined) parts.push(`${fmt.mib(t.memory_used_mib)} used`);
  if (t.temperature_c !== undefined) parts.push(`${t.temperature_c} °C`);
  if (t.power_mw !== undefined) parts.push(`${Math.round(t.power_mw / 1000)} W`);
  if (t.ecc_uncorrected) parts.push(`${t.ecc_uncorrected} ECC errors`);
  if (t.mig) parts.push('MIG');
  return h('span', {class: parts.length ? '' : 'muted'}, parts.length ? parts.join(' · ') : none);
}
