// The queue (pending jobs in the order they will be considered, each with why it waits, and the
// jobs running now) and the list of all jobs. Data: GET /v1/jobs.
import {h, replace, table, badge, field} from './dom.js';
import * as fmt from './format.js';

export function stateBadge(job) {
  const kind = {running: 'ok', scheduled: 'ok', pending: 'warn', succeeded: 'done',
    failed: 'bad', cancelled: 'muted'}[job.state] || '';
  const text = job.cancel_requested && !fmt.TERMINAL.has(job.state) ? `${job.state}, cancelling` : job.state;
  return badge(text, kind);
}

function jobLink(job) {
  return h('a', {href: `#/jobs/${job.id}`}, String(job.id));
}

function jobName(job) {
  return job.name || h('span', {class: 'muted'}, fmt.command(job.argv).slice(0, 40));
}

function placement(job) {
  if (!job.node) return '—';
  const devices = (job.devices || []).map((d) => d.milli >= 1000 ? `${d.index}` : `${d.index} (${fmt.milli(d.milli)})`);
  return `${job.node}${devices.length ? ` · GPU ${devices.join(', ')}` : ''}`;
}

const MAX_JOBS = 5000;

// The jobs of the filter in id order, following `next`, at most MAX_JOBS: {jobs, more}, more
// being true when the server has further jobs.
async function listJobs(ctx, state) {
  const jobs = [];
  let after = null;
  for (;;) {
    const q = new URLSearchParams({limit: '1000'});
    if (state) q.set('state', state);
    if (after !== null) q.set('after', String(after));
    const page = await ctx.api.get(`/v1/jobs?${q}`, {signal: ctx.signal});
    jobs.push(...page.jobs);
    if (page.next === null || page.next === undefined) return {jobs, more: false};
    if (jobs.length >= MAX_JOBS) return {jobs, more: true};
    after = page.next;
  }
}

function moreNote(more, what) {
  return more ? h('p', {class: 'muted'}, `Showing the first ${MAX_JOBS} ${what} by id; the CLI (fastgpu ps) lists them all.`) : null;
}

export async function QueuePage(root, ctx) {
  const pending = h('section', {'aria-labelledby': 'pending-title'});
  const running = h('section', {'aria-labelledby': 'running-title'});
  replace(root, h('h1', {}, 'Queue'), pending, running);
  ctx.every(2000, async () => {
    const {jobs, more} = await listJobs(ctx, 'active');
    if (!ctx.alive) return;
    const now = Date.now();
    const waiting = jobs.filter((j) => j.state === 'pending')
      .sort((a, b) => (a.queue_position || 1e12) - (b.queue_position || 1e12) || a.id - b.id);
    replace(pending, h('h2', {id: 'pending-title'}, `Pending (${waiting.length})`),
      table([
        {label: '#', cell: (j) => String(j.queue_position || '—'), className: 'num'},
        {label: 'Job', cell: jobLink, className: 'num'},
        {label: 'Name', cell: jobName},
        {label: 'Tenant', cell: (j) => j.tenant},
        {label: 'Wants', cell: (j) => fmt.resources(j.resources)},
        {label: 'Priority', cell: (j) => String(j.priority), className: 'num'},
        {label: 'Waiting', cell: (j) => fmt.duration(now - j.submitted_ms)},
        {label: 'Why it waits', cell: (j) => j.reason || '—', className: 'reason'},
      ], waiting, {empty: 'No job is waiting.', rowClass: () => 'pending'}), moreNote(more, 'active jobs'));
    const active = jobs.filter((j) => j.state !== 'pending');
    replace(running, h('h2', {id: 'running-title'}, `Running (${active.length})`),
      table([
        {label: 'Job', cell: jobLink, className: 'num'},
        {label: 'Name', cell: jobName},
        {label: 'Tenant', cell: (j) => j.tenant},
        {label: 'State', cell: stateBadge},
        {label: 'Where', cell: placement},
        {label: 'Running for', cell: (j) => j.started_ms ? fmt.duration(now - j.started_ms) : '—'},
      ], active, {empty: 'Nothing is running.'}));
  });
}

const FILTERS = [['active', 'Active'], ['pending', 'Pending'], ['running', 'Running'],
  ['succeeded,failed,cancelled', 'Finished'], ['', 'All']];

export async function JobsPage(root, ctx) {
  const select = h('select', {id: 'job-filter'},
    FILTERS.map(([value, label]) => h('option', {value}, label)));
  select.value = sessionStorage.getItem('fastgpu.jobs_filter') ?? 'active';
  const list = h('div', {});
  let refresh = () => {};
  select.addEventListener('change', () => {
    sessionStorage.setItem('fastgpu.jobs_filter', select.value);
    refresh();
  });
  replace(root, h('h1', {}, 'Jobs'), h('div', {class: 'toolbar'}, field('Show', select)), list);
  const draw = async () => {
    const {jobs, more} = await listJobs(ctx, select.value);
    jobs.reverse();  // newest first
    if (!ctx.alive) return;
    const now = Date.now();
    replace(list, table([
      {label: 'Job', cell: jobLink, className: 'num'},
      {label: 'Name', cell: jobName},
      {label: 'Tenant', cell: (j) => j.tenant},
      {label: 'User', cell: (j) => j.user || '—'},
      {label: 'State', cell: stateBadge},
      {label: 'Resources', cell: (j) => fmt.resources(j.resources)},
      {label: 'Where', cell: placement},
      {label: 'Submitted', cell: (j) => fmt.ago(j.submitted_ms, now)},
      {label: 'Exit', cell: (j) => j.exit_code ?? (j.signal ? `signal ${j.signal}` : '—'), className: 'num'},
    ], jobs, {empty: 'No jobs.'}), moreNote(more, 'jobs'));
  };
  refresh = () => draw().catch((e) => ctx.fail(e));
  ctx.every(5000, draw);
}
