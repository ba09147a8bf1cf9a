// Admin pages: nodes (cordon, uncordon, drain) and API keys (list, create, revoke).
import {ApiError} from './api.js';
import {h, replace, notice, table, field, badge} from './dom.js';
import * as fmt from './format.js';

export async function NodesPage(root, ctx) {
  const status = h('div', {'aria-live': 'polite'});
  const list = h('div', {});
  replace(root, h('h1', {}, 'Nodes'), status, list);
  const act = async (node, action) => {
    if (action === 'drain' && !window.confirm(`Drain ${node.name}? No new jobs go there; it is drained when its jobs end.`)) return;
    try {
      const now = await ctx.api.post(`/v1/nodes/${encodeURIComponent(node.name)}/${action}`, {}, {signal: ctx.signal});
      const more = now.state === 'draining' ? ` (no new jobs; drained when its ${now.jobs} job${now.jobs === 1 ? '' : 's'} end)` : '';
      replace(status, notice('ok', `${now.name} is now ${now.state.replace('_', ' ')}${more}.`));
      await draw();
    } catch (e) {
      if (e instanceof ApiError && e.noRoute) {
        return replace(status, notice('error', `This server has no ${action} route (it is older than this dashboard).`));
      }
      ctx.fail(e);
    }
  };
  const draw = async () => {
    const {nodes} = await ctx.api.get('/v1/nodes', {signal: ctx.signal});
    if (!ctx.alive) return;
    const canCordon = nodes.some((n) => 'cordoned' in n);
    replace(list, canCordon ? null : notice('info', 'This server does not offer cordon and drain yet.'),
      table([
        {label: 'Node', cell: (n) => h('strong', {}, n.name)},
        {label: 'State', cell: (n) => badge(n.state.replace('_', ' '), n.state === 'ready' ? 'ok' : 'warn')},
        {label: 'GPUs', cell: (n) => gpuSummary(n.devices || [])},
        {label: 'CPUs', cell: (n) => String(n.cpu_milli / 1000), className: 'num'},
        {label: 'Memory', cell: (n) => fmt.mib(n.memory_mib), className: 'num'},
        {label: 'Jobs', cell: (n) => (n.jobs !== undefined ? String(n.jobs) : String((n.gpu_jobs || []).length)), className: 'num'},
        {label: 'Last seen', cell: (n) => fmt.ago(n.last_seen_ms)},
        {label: 'Labels', cell: (n) => Object.entries(n.labels || {}).map(([k, v]) => badge(`${k}=${v}`, 'label'))},
        {label: 'Actions', cell: (n) => nodeActions(n, canCordon, act)},
      ], nodes, {empty: 'No node has joined yet.'}));
  };
  ctx.every(3000, draw);
}

function gpuSummary(devices) {
  const models = new Map();
  for (const d of devices) models.set(d.model, (models.get(d.model) || 0) + 1);
  const unhealthy = devices.filter((d) => d.healthy === false).length;
  const text = [...models.entries()].map(([m, n]) => `${n}× ${m}`).join(', ') || 'none';
  return unhealthy ? [text, ' ', badge(`${unhealthy} unhealthy`, 'bad')] : text;
}

function nodeActions(node, available, act) {
  if (!available) return h('span', {class: 'muted'}, '—');
  const button = (action, label, kind) => h('button', {type: 'button', class: kind || '',
    'aria-label': `${label} ${node.name}`, onclick: () => act(node, action)}, label);
  if (node.cordoned || node.draining) return button('uncordon', 'Uncordon');
  return h('span', {class: 'buttons'}, button('cordon', 'Cordon'), button('drain', 'Drain', 'danger'));
}

const ROLES = ['member', 'viewer', 'submit-only', 'admin'];

export async function KeysPage(root, ctx) {
  const created = h('div', {'aria-live': 'polite'});
  const list = h('div', {});
  const form = keyForm(ctx, created, () => draw());
  replace(root, h('h1', {}, 'API keys'), form, created, h('h2', {}, 'Keys'), list);
  const draw = async () => {
    const {keys} = await ctx.api.get('/v1/keys', {signal: ctx.signal});
    if (!ctx.alive) return;
    const now = Date.now();
    const state = (k) => (k.revoked ? badge('revoked', 'muted')
      : k.expires_ms && k.expires_ms <= now ? badge('expired', 'muted') : badge('active', 'ok'));
    replace(list, table([
      {label: 'Prefix', cell: (k) => h('code', {}, k.prefix)},
      {label: 'Tenant', cell: (k) => k.tenant},
      {label: 'Role', cell: (k) => k.role},
      {label: 'User', cell: (k) => k.user || '—'},
      {label: 'Label', cell: (k) => k.label || '—'},
      {label: 'Created', cell: (k) => fmt.time(k.created_ms)},
      {label: 'Expires', cell: (k) => (k.expires_ms ? fmt.time(k.expires_ms) : 'never')},
      {label: 'State', cell: state},
      {label: '', cell: (k) => (k.revoked ? null : revokeButton(ctx, k, draw))},
    ], keys.sort((a, b) => b.created_ms - a.created_ms), {empty: 'No keys.', rowClass: (k) => `key-${k.prefix}`}));
  };
  ctx.every(5000, draw);
}

function revokeButton(ctx, key, redraw) {
  const mine = key.prefix === ctx.caller.key_prefix;
  return h('button', {type: 'button', class: 'danger', 'aria-label': `Revoke key ${key.prefix}`,
    onclick: async (event) => {
      const warning = mine ? ' This is the key you are signed in with: you will be signed out.' : '';
      if (!window.confirm(`Revoke key ${key.prefix} (${key.tenant}, ${key.role})?${warning}`)) return;
      event.target.disabled = true;
      try {
        await ctx.api.post(`/v1/keys/${encodeURIComponent(key.prefix)}/revoke`, {}, {signal: ctx.signal});
        await redraw();
      } catch (e) {
        event.target.disabled = false;
        ctx.fail(e);
      }
    }}, 'Revoke');
}

function keyForm(ctx, created, redraw) {
  const tenant = h('input', {name: 'tenant', id: 'key-tenant', placeholder: ctx.caller.tenant, autocomplete: 'off'});
  const role = h('select', {name: 'role', id: 'key-role'}, ROLES.map((r) => h('option', {value: r}, r)));
  const user = h('input', {name: 'user', id: 'key-user', autocomplete: 'off'});
  const label = h('input', {name: 'label', id: 'key-label', autocomplete: 'off'});
  const expires = h('input', {name: 'expires', id: 'key-expires', type: 'date'});
  const error = h('div', {'aria-live': 'assertive'});
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Create key');
  const form = h('form', {class: 'card key-form', 'aria-labelledby': 'key-form-title'},
    h('h2', {id: 'key-form-title'}, 'New key'),
    h('div', {class: 'fields'},
      field('Tenant', tenant, `empty: ${ctx.caller.tenant}`), field('Role', role),
      field('User', user), field('Label', label), field('Expires', expires, 'optional')),
    submit, error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(error);
    const body = {role: role.value};
    if (tenant.value.trim()) body.tenant = tenant.value.trim();
    if (user.value.trim()) body.user = user.value.trim();
    if (label.value.trim()) body.label = label.value.trim();
    if (expires.value) body.expires_ms = Date.parse(`${expires.value}T23:59:59`);
    submit.disabled = true;
    try {
      const key = await ctx.api.post('/v1/keys', body, {signal: ctx.signal});
      form.reset();
      showNewKey(created, key);
      await redraw();
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(error, notice('error', e instanceof ApiError && e.field ? `${e.field}: ${e.message}` : e.message));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

// The new key, shown once: the server keeps only its hash.
function showNewKey(el, key) {
  const value = h('input', {class: 'secret', id: 'new-key', readonly: true, value: key.key,
    'aria-label': 'The new API key', spellcheck: 'false'});
  const copy = h('button', {type: 'button'}, 'Copy');
  copy.addEventListener('click', async () => {
    value.select();
    try {
      await navigator.clipboard.writeText(key.key);
      copy.textContent = 'Copied';
    } catch {
      copy.textContent = 'Press Ctrl+C';
    }
  });
  const done = h('button', {type: 'button', class: 'link', onclick: () => replace(el)}, 'I have saved it');
  replace(el, h('div', {class: 'notice ok new-key', role: 'status'},
    h('p', {}, h('strong', {}, `Key ${key.prefix} for ${key.tenant} (${key.role}) created. `),
      'Copy it now: it is shown only this once.'),
    h('div', {class: 'copy-row'}, value, copy, done)));
  value.focus();
  value.select();
}
