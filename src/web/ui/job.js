// One job: its spec and state, a cancel button, its live log (the follow endpoint streams
// chunked text) and its events (GET /v1/jobs/{id}/events; on a server without that route, the
// transitions the job's own record shows).
import {ApiError} from './api.js';
import {h, replace, notice, table} from './dom.js';
import * as fmt from './format.js';
import {stateBadge} from './jobs.js';

export async function JobPage(root, ctx) {
  const id = ctx.params[0];
  const title = h('h1', {}, `Job ${id}`);
  const actions = h('div', {class: 'actions'});
  const details = h('dl', {class: 'details'});
  const events = h('section', {'aria-labelledby': 'events-title'});
  const logs = logView(ctx, id);
  replace(root, h('header', {class: 'page-head'}, title, actions), details, logs.el, events);
  let eventsRoute = true;  // until the server says it has none
  let last = null;
  let gone = false;
  ctx.every(1500, async () => {
    if (gone) return;
    let job;
    try {
      job = await ctx.api.get(`/v1/jobs/${id}`, {signal: ctx.signal});
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
      gone = true;
      logs.stop();
      return replace(root, h('h1', {}, `Job ${id}`),
        notice('error', `There is no job ${id} that this key may see.`));
    }
    if (!ctx.alive) return;
    replace(title, `Job ${job.id}`, job.name ? h('span', {class: 'muted'}, ` ${job.name}`) : null, ' ', stateBadge(job));
    drawActions(actions, job, ctx);
    drawDetails(details, job);
    const changed = !last || last.state !== job.state || last.attempt !== job.attempt ||
      last.cancel_requested !== job.cancel_requested || last.preemptions !== job.preemptions;
    last = job;
    if (!changed && fmt.TERMINAL.has(job.state)) return;
    if (eventsRoute) {
      try {
        const reply = await ctx.api.get(`/v1/jobs/${id}/events`, {signal: ctx.signal});
        return drawEvents(events, reply.events, false);
      } catch (e) {
        if (!(e instanceof ApiError && e.noRoute)) throw e;
        eventsRoute = false;
      }
    }
    drawEvents(events, derivedEvents(job), true);
  });
}

function drawActions(el, job, ctx) {
  const canCancel = !fmt.TERMINAL.has(job.state) && !job.cancel_requested && ctx.caller.role !== 'viewer';
  if (!canCancel) return replace(el);
  if (el.querySelector('button')) return;
  const button = h('button', {type: 'button', class: 'danger'}, 'Cancel job');
  button.addEventListener('click', async () => {
    if (!window.confirm(`Cancel job ${job.id}? A running job gets SIGTERM, then SIGKILL.`)) return;
    button.disabled = true;
    try {
      await ctx.api.post(`/v1/jobs/${job.id}/cancel`, {}, {signal: ctx.signal});
    } catch (e) {
      button.disabled = false;
      ctx.fail(e);
    }
  });
  replace(el, button);
}

function drawDetails(el, job) {
  const row = (term, value) => (value === null || value === undefined || value === '' ? null
    : [h('dt', {}, term), h('dd', {}, value)]);
  const devices = (job.devices || []).map((d) =>
    `GPU ${d.index}${d.milli < 1000 ? ` (${fmt.milli(d.milli)})` : ''}${d.memory_mib ? `, ${fmt.mib(d.memory_mib)}` : ''}`);
  const end = job.exit_code !== null && job.exit_code !== undefined ? `exit code ${job.exit_code}`
    : job.signal ? `signal ${job.signal}` : null;
  replace(el,
    row('Command', h('code', {}, fmt.command(job.argv))),
    row('Tenant', job.tenant + (job.user ? ` (user ${job.user})` : '')),
    row('Resources', fmt.resources(job.resources)),
    row(job.state === 'pending' ? 'Why it waits' : 'Reason', job.reason),
    row('Queue position', job.queue_position ? String(job.queue_position) : null),
    row('Placed on', job.node ? `${job.node}${devices.length ? ': ' + devices.join('; ') : ''}` : null),
    row('Attempt', job.attempt ? `${job.attempt} of ${job.max_retries + 1}` : null),
    row('Priority', String(job.priority)),
    row('Time limit', job.time_limit_s ? fmt.duration(job.time_limit_s * 1000) : null),
    row('Submitted', fmt.time(job.submitted_ms)),
    row('Started', job.started_ms ? fmt.time(job.started_ms) : null),
    row('Finished', job.finished_ms ? fmt.time(job.finished_ms) : null),
    row('Ran for', job.started_ms ? fmt.duration((job.finished_ms || Date.now()) - job.started_ms) : null),
    row('Ended with', end),
    row('Preemptions', job.preemptions ? String(job.preemptions) : null));
}

// The transitions a job record shows, for servers without the events route.
export function derivedEvents(job) {
  const out = [{type: 'submitted', time_ms: job.submitted_ms, state: 'pending'}];
  if (job.started_ms) out.push({type: 'started', time_ms: job.started_ms, node: job.node, attempt: job.attempt});
  if (job.cancel_requested && !fmt.TERMINAL.has(job.state)) out.push({type: 'cancel_requested', time_ms: 0});
  if (fmt.TERMINAL.has(job.state)) {
    out.push({type: 'finished', time_ms: job.finished_ms, state: job.state, exit_code: job.exit_code, reason: job.reason});
  }
  return out;
}

function drawEvents(el, events, derived) {
  const detail = (e) => {
    const parts = [];
    if (e.state && e.type === 'finished') parts.push(e.state);
    if (e.node) parts.push(`on ${e.node}`);
    if (e.devices && e.devices.length) parts.push(`GPU ${e.devices.map((d) => (typeof d === 'object' ? d.index : d)).join(', ')}`);
    if (e.attempt) parts.push(`attempt ${e.attempt}`);
    if (e.exit_code !== null && e.exit_code !== undefined) parts.push(`exit code ${e.exit_code}`);
    if (e.reason) parts.push(e.reason);
    return parts.join(' · ');
  };
  replace(el, h('h2', {id: 'events-title'}, 'Events'),
    derived ? h('p', {class: 'muted'}, 'From the job\'s record (this server keeps no event history).') : null,
    table([
      {label: 'When', cell: (e) => (e.time_ms ? fmt.time(e.time_ms) : '—')},
      {label: 'Event', cell: (e) => e.type.replace(/_/g, ' ')},
      {label: 'Details', cell: detail},
    ], events, {empty: 'No events yet.'}));
}

// The log panel: stdout or stderr, followed live while the job runs.
function logView(ctx, id) {
  // role=log: a name (aria-label) is prohibited on a plain <pre> (axe: aria-prohibited-attr).
  const pre = h('pre', {class: 'log', role: 'log', tabindex: '0', 'aria-label': 'Job output',
    'aria-live': 'off'});
  const status = h('span', {class: 'log-status muted', role: 'status'});
  const radios = ['stdout', 'stderr'].map((name) => h('label', {class: 'tab'},
    h('input', {type: 'radio', name: 'stream', value: name, checked: name === 'stdout'}), name));
  const el = h('section', {class: 'card logs', 'aria-labelledby': 'log-title'},
    h('header', {class: 'log-head'}, h('h2', {id: 'log-title'}, 'Output'),
      h('fieldset', {class: 'tabs'}, h('legend', {class: 'visually-hidden'}, 'Stream'), radios), status),
    pre);
  let stream = 'stdout';
  let follower = null;
  const restart = () => {
    if (follower) follower.abort();
    follower = new AbortController();
    ctx.signal.addEventListener('abort', () => follower.abort());
    replace(pre);
    follow(ctx, id, stream, pre, status, follower.signal).catch((e) => ctx.fail(e));
  };
  for (const r of radios) {
    r.querySelector('input').addEventListener('change', (event) => {
      stream = event.target.value;
      restart();
    });
  }
  restart();
  return {el, stop() { follower.abort(); }};
}

// Follows one stream into `pre`, reconnecting from the last byte if the connection drops
// before the job's log is complete.
async function follow(ctx, id, stream, pre, status, signal) {
  let offset = 0;
  for (let tries = 0; !signal.aborted; tries++) {
    replace(status, 'following…');
    try {
      const res = await ctx.api.stream(
        `/v1/jobs/${id}/logs?stream=${stream}&follow=true&offset=${offset}`, {signal});
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        offset += value.byteLength;
        appendText(pre, decoder.decode(value, {stream: true}));
        tries = 0;
      }
      appendText(pre, decoder.decode());
      if (!pre.textContent) replace(pre, h('span', {class: 'muted'}, `(no ${stream} output)`));
      replace(status, 'complete: the job has ended');
      return;
    } catch (e) {
      if (signal.aborted || e.name === 'AbortError') return;
      if (e instanceof ApiError && e.status !== 0) throw e;
      replace(status, 'connection lost; reconnecting…');
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 500 * 2 ** tries)));
    }
  }
}

function appendText(pre, text) {
  if (!text) return;
  const atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 24;
  pre.append(text);
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}
