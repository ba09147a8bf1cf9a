// The dashboard as a person uses it, in headless Chromium, against a real server and agents
// that test_dashboard.py started: sign in (a wrong key first), watch a job appear on its GPU,
// read the queue, follow a job's live log, cancel it, read the usage chart, cordon a node,
// create and revoke a key, sign out. Each step checks what the page shows and, where it matters,
// what the server now holds. Screenshots of each page go to $FG_SCREENSHOTS.
//
// Env: FG_URL, FG_ADMIN_KEY, FG_SCREENSHOTS (folder). Prints one line per step and, last, a JSON
// line {"passed": [...], "failed": [{"step", "error"}], "notes": [...]}; exits 1 when a step
// failed.
'use strict';
const {launch} = require('./browser.js');
const {URL, ADMIN, WAIT, results, api, must, check, step, onFailure, shotPath, waitJob, submit,
  TRAINING_SCRIPT, main} = require('./steps.js');

const fs = require('fs');
const path = require('path');

const AXE = fs.readFileSync(path.join(__dirname, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const audits = {};  // page -> axe violations

// A screenshot of the page as it is now, and axe-core's WCAG 2 A/AA audit of it (contrast,
// labels, roles, names...), checked in the last steps.
async function shot(page, name) {
  const file = shotPath(`dashboard-${name}`);
  if (file) await page.screenshot({path: file, fullPage: true});
  await audit(page, name);
}

async function audit(page, name) {
  // Evaluated through the DevTools protocol, so the page's CSP does not apply to it.
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const run = () => page.evaluate(async () => {
    const r = await window.axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
    return r.violations.map((v) => ({id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
  });
  // The page redraws itself every few seconds; an audit that a redraw cut short runs again.
  let error = null;
  for (let i = 0; i < 3; i++) {
    try {
      audits[name] = await run();
      return;
    } catch (e) {
      error = e;
    }
  }
  throw error;
}

// Pages that must fit a laptop screen without scrolling sideways.
const PAGES = ['/pool', '/queue', '/jobs', '/usage', '/admin/nodes', '/admin/keys'];

// The steps, in order: each gets the page, what earlier steps left in `s`, and the console errors.
const STEPS = [
  ['sign-in page', async (page, s, errors) => {
    await page.goto(`${URL}/`);
    await page.getByLabel('API key').waitFor({timeout: WAIT});
    check(await page.title() === 'Sign in · fastgpu', `title is ${await page.title()}`);
    await shot(page, 'signin');
  }],

  ['a wrong key is refused with a clear message', async (page, s, errors) => {
    await page.getByLabel('API key').fill(`fgk_00000000_${'0'.repeat(32)}`);
    await page.getByRole('button', {name: 'Sign in'}).click();
    const alert = page.getByRole('alert');
    await alert.waitFor({timeout: WAIT});
    const text = await alert.textContent();
    check(/not accepted/.test(text), `alert says: ${text}`);
    check(await page.evaluate(() => !sessionStorage.length && !localStorage.length), 'a wrong key was stored');
  }],

  ['sign in with the admin key', async (page, s, errors) => {
    await page.getByLabel('API key').fill(ADMIN);
    await page.getByRole('button', {name: 'Sign in'}).click();
    await page.locator('nav a[aria-current="page"]', {hasText: 'Pool'}).waitFor({timeout: WAIT});
    await page.locator('.node[data-node="node-a"]').waitFor({timeout: WAIT});
    const who = await page.locator('#who').textContent();
    check(/admin/.test(who), `header shows ${who}`);
    check(await page.evaluate(() => sessionStorage.getItem('fastgpu.api_key')) === ADMIN, 'key not kept in sessionStorage');
  }],

  ['a running job appears on its GPU', async (page, s, errors) => {
    // Prices from today on, so that the jobs' usage has a cost.
    const today = new Date().toISOString().slice(0, 10);
    await must('PUT', '/v1/prices', {resource: 'gpu:A100-80GB', price: 2.4, from: today});
    await must('PUT', '/v1/prices', {resource: 'gpu:*', price: 3.1, from: today});
    s.vision = await must('POST', '/v1/keys', {tenant: 'vision', role: 'member', user: 'alice'}, ADMIN, 201);
    s.nlp = await must('POST', '/v1/keys', {tenant: 'nlp', role: 'member', user: 'bob'}, ADMIN, 201);
    s.train = await submit(s.vision.key, 'train-resnet', 0.5, TRAINING_SCRIPT);
    const seg = page.locator(`.bar a.seg[data-job="${s.train.id}"]`);
    await seg.waitFor({timeout: WAIT});
    const job = await waitJob(s.train.id, ['running']);
    const gpu = await seg.evaluate((el) => el.closest('li.gpu').dataset.gpu);
    check(gpu === `${job.node}/${job.devices[0].index}`, `segment drawn on ${gpu}, job placed on ${job.node}/${job.devices[0].index}`);
    const width = await seg.evaluate((el) => el.style.width);
    check(width === '50%', `a 0.5 GPU slice is drawn ${width} wide`);
    const label = await seg.textContent();
    check(label === `${s.train.id} train-resnet`, `segment labelled "${label}", not with the job's id and name`);
    // More tenants and shapes, for the picture and the queue.
    s.small = await submit(s.nlp.key, 'tokenize', 0.25, 'echo start; sleep 600');
    s.whole = await submit(s.nlp.key, 'finetune-llm', 1, 'echo start; sleep 600');
    s.pair = await submit(s.vision.key, 'sweep-lr', 2, 'echo start; sleep 600');
    for (const j of [s.small, s.whole, s.pair]) await waitJob(j.id, ['running']);
    s.big = await submit(s.nlp.key, 'pretrain-7b', 4, 'echo start; sleep 600');
    await page.locator(`.bar a.seg[data-job="${s.pair.id}"]`).first().waitFor({timeout: WAIT});
    await page.locator('.legend', {hasText: 'nlp'}).waitFor({timeout: WAIT});
  }],

  ['GPU health and telemetry', async (page, s, errors) => {
    await page.goto(`${URL}/#/pool`);
    const good = page.locator('li.gpu[data-gpu="node-c/0"]');
    await good.locator('.gpu-facts', {hasText: 'util 37%'}).waitFor({timeout: WAIT});
    const facts = await good.locator('.gpu-facts').textContent();
    check(/55 °C/.test(facts) && /123 W/.test(facts) && /2\.9 GiB used/.test(facts), `node-c/0 shows ${facts}`);
    const bad = page.locator('li.gpu[data-gpu="node-c/1"]');
    const badge = await bad.locator('.badge.bad').textContent({timeout: WAIT});
    const gpu = (await must('GET', '/v1/gpus')).gpus.find((g) => g.node === 'node-c' && g.index === 1);
    check(badge === `unhealthy: ${gpu.health}` && /XID 79/.test(badge), `badge "${badge}", API health "${gpu.health}"`);
    check(await bad.locator('.bar').first().getAttribute('aria-label') !== null, 'bar has no text alternative');
    await shot(page, 'pool');
  }],

  ['the queue shows the waiting job with its reason and position', async (page, s, errors) => {
    const job = await must('GET', `/v1/jobs/${s.big.id}`);
    check(job.state === 'pending', `job ${s.big.id} is ${job.state}: the test needs it to wait`);
    await page.goto(`${URL}/#/queue`);
    const row = page.locator('tr.pending', {has: page.locator(`a[href="#/jobs/${s.big.id}"]`)});
    await row.waitFor({timeout: WAIT});
    const cells = await row.locator('td').allTextContents();
    check(cells[0] === String(job.queue_position), `position cell ${cells[0]}, API says ${job.queue_position}`);
    check(cells[7].length > 0 && cells[7] === job.reason, `reason cell "${cells[7]}", API says "${job.reason}"`);
    await page.locator('#running-title', {hasText: 'Running (4)'}).waitFor({timeout: WAIT});
    await shot(page, 'queue');
  }],

  ['the jobs list', async (page, s, errors) => {
    await page.goto(`${URL}/#/jobs`);
    await page.locator(`a[href="#/jobs/${s.train.id}"]`).waitFor({timeout: WAIT});
    await shot(page, 'jobs');
  }],

  ['the job page follows the live log', async (page, s, errors) => {
    await page.goto(`${URL}/#/jobs/${s.train.id}`);
    const log = page.locator('pre.log');
    await page.waitForFunction(() => /step \d+\//.test(document.querySelector('pre.log').textContent),
      null, {timeout: WAIT});
    const first = await log.textContent();
    const seen = Math.max(...[...first.matchAll(/step (\d+)\//g)].map((m) => Number(m[1])));
    // Lines printed after the page opened arrive on the open stream.
    await page.waitForFunction((n) => document.querySelector('pre.log').textContent.includes(`step ${n}/`),
      seen + 3, {timeout: WAIT});
    const later = await log.textContent();
    check(later.length > first.length && later.startsWith(first), 'the log did not grow in place');
    check(later.startsWith('loading ImageNet shards\nstep 1/900 '), `log starts: ${later.slice(0, 80)}`);
    const server = await api('GET', `/v1/jobs/${s.train.id}/logs`);
    check(server.text.startsWith(later), 'the page shows other bytes than the server stored');
    // Its events, as GET /v1/jobs/{id}/events has them.
    const events = await must('GET', `/v1/jobs/${s.train.id}/events`);
    const types = events.events.map((e) => e.type.replace(/_/g, ' '));
    check(types.includes('submitted') && types.includes('started'), `the server's events: ${types}`);
    await page.waitForFunction((want) => {
      const cells = [...document.querySelectorAll('section[aria-labelledby="events-title"] tbody tr td:nth-child(2)')];
      return cells.map((td) => td.textContent).join('|') === want.join('|');
    }, types, {timeout: WAIT});
    await shot(page, 'job');
  }],

  ['cancel the job from its page', async (page, s, errors) => {
    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', {name: 'Cancel job'}).click();
    await page.locator('h1 .badge', {hasText: /^cancelled$/}).waitFor({timeout: WAIT});
    const job = await must('GET', `/v1/jobs/${s.train.id}`);
    check(job.state === 'cancelled', `the server says ${job.state}`);
    await page.locator('.log-status', {hasText: 'complete'}).waitFor({timeout: WAIT});
    await page.locator('section[aria-labelledby="events-title"] td', {hasText: /^cancel requested$/}).waitFor({timeout: WAIT});
    await page.locator('section[aria-labelledby="events-title"] td', {hasText: /^finished$/}).waitFor({timeout: WAIT});
    check(await page.getByRole('button', {name: 'Cancel job'}).count() === 0, 'cancel button still shown');
  }],

  ['the usage chart', async (page, s, errors) => {
    const usage = await api('GET', '/v1/usage?by=tenant,model&period=day');
    await page.goto(`${URL}/#/usage`);
    check(usage.status === 200, `GET /v1/usage -> ${usage.status} ${usage.text}`);
    // The cancelled job's metered GPU time appears, colored by its tenant, and the legend
    // names exactly the tenants the server reports.
    await page.locator('svg.chart rect.mark[data-series="vision"]').first().waitFor({timeout: WAIT});
    await page.locator('section[aria-labelledby="by-model"] rect.mark').first().waitFor({timeout: WAIT});
    const report = await must('GET', '/v1/usage?by=tenant,model&period=day');
    const want = [...new Set(report.rows.map((r) => r.tenant))].sort();
    await page.waitForFunction((names) => {
      const shown = [...document.querySelectorAll('section[aria-labelledby="by-tenant"] .legend li')].map((li) => li.textContent);
      return shown.join('|') === names.join('|');
    }, want, {timeout: WAIT});
    check(want.includes('vision'), `the server reports usage of ${want}`);
    // The table has one row per tenant and model the server reports.
    const pairs = [...new Set(report.rows.map((r) => `${r.tenant} ${r.model}`))].sort();
    const tableRows = () => page.evaluate(() => [...document.querySelectorAll('section[aria-labelledby="usage-table"] tbody tr')]
      .map((tr) => `${tr.cells[0].textContent} ${tr.cells[1].textContent}`).sort().join('|'));
    const deadline = Date.now() + WAIT;
    while (await tableRows() !== pairs.join('|') && Date.now() < deadline) await page.waitForTimeout(100);
    const rows = await tableRows();
    check(rows === pairs.join('|'), `table rows ${rows}, server ${pairs}`);
    // The same in money: the chart follows the metric.
    check(report.total.cost > 0, `the usage has no cost: ${JSON.stringify(report.total)}`);
    await page.getByLabel('Show').selectOption('cost');
    await page.locator('#by-tenant', {hasText: `${report.currency} per day`}).waitFor({timeout: WAIT});
    await page.locator('svg.chart rect.mark[data-series="vision"]').first().waitFor({timeout: WAIT});
    await page.getByLabel('Show').selectOption('gpu_hours');
    await page.locator('#by-tenant', {hasText: 'GPU-hours per day'}).waitFor({timeout: WAIT});
    await shot(page, 'usage');
  }],

  ['admin: nodes', async (page, s, errors) => {
    await page.goto(`${URL}/#/admin/nodes`);
    await page.locator('td strong', {hasText: 'node-b'}).waitFor({timeout: WAIT});
    const nodeB = async () => (await must('GET', '/v1/nodes')).nodes.find((n) => n.name === 'node-b');
    const row = page.locator('tr', {has: page.locator('td strong', {hasText: /^node-b$/})});
    await page.getByRole('button', {name: 'Cordon node-b'}).click();
    await row.locator('.badge', {hasText: /^cordoned$/}).waitFor({timeout: WAIT});
    check((await nodeB()).cordoned === true, 'node-b is not cordoned on the server');
    await page.getByRole('button', {name: 'Uncordon node-b'}).click();
    await row.locator('.badge', {hasText: /^ready$/}).waitFor({timeout: WAIT});
    check((await nodeB()).cordoned === false, 'node-b is still cordoned on the server');
    // Draining a node with running jobs: it stays draining while they run.
    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', {name: 'Drain node-b'}).click();
    await row.locator('.badge', {hasText: /^draining$/}).waitFor({timeout: WAIT});
    check((await nodeB()).draining === true, 'node-b is not draining on the server');
    await shot(page, 'nodes');
    await page.getByRole('button', {name: 'Uncordon node-b'}).click();
    await row.locator('.badge', {hasText: /^ready$/}).waitFor({timeout: WAIT});
  }],

  ['admin: create a key (shown once) and revoke it', async (page, s, errors) => {
    await page.goto(`${URL}/#/admin/keys`);
    await page.locator(`tr.key-${s.vision.prefix}`).waitFor({timeout: WAIT});
    await page.getByLabel('Tenant').fill('vision');
    await page.getByLabel('Role').selectOption('submit-only');
    await page.getByLabel('User').fill('ci');
    await page.getByLabel('Label').fill('nightly runner');
    await page.getByRole('button', {name: 'Create key'}).click();
    const secret = await page.locator('#new-key').inputValue({timeout: WAIT});
    check(/^fgk_[0-9a-f]{8}_[0-9a-f]{32}$/.test(secret), `new key looks like ${secret}`);
    const who = await must('GET', '/v1/whoami', undefined, secret);
    check(who.tenant === 'vision' && who.role === 'submit-only' && who.user === 'ci', JSON.stringify(who));
    const row = page.locator(`tr.key-${who.key_prefix}`);
    await row.waitFor({timeout: WAIT});
    check(!(await page.locator('table').textContent()).includes(secret.slice(13)), 'the secret is in the key list');
    await shot(page, 'keys');
    page.once('dialog', (d) => d.accept());
    await row.getByRole('button', {name: `Revoke key ${who.key_prefix}`}).click();
    await row.locator('.badge', {hasText: 'revoked'}).waitFor({timeout: WAIT});
    check((await api('GET', '/v1/whoami', undefined, secret)).status === 401, 'the revoked key still works');
    await page.getByRole('button', {name: 'I have saved it'}).click();
    check(await page.locator('#new-key').count() === 0, 'the key is still shown');
  }],

  ['a member sees its tenant, no admin pages, others anonymised', async (page, s, errors) => {
    await page.getByRole('button', {name: 'Sign out'}).click();
    await page.getByLabel('API key').waitFor({timeout: WAIT});
    check(await page.evaluate(() => !sessionStorage.length && !localStorage.length), 'sign-out left the key stored');
    await page.getByLabel('API key').fill(s.nlp.key);
    await page.getByRole('button', {name: 'Sign in'}).click();
    await page.locator('#who', {hasText: 'nlp'}).waitFor({timeout: WAIT});
    await page.goto(`${URL}/#/pool`);
    await page.locator(`.bar a.seg[data-job="${s.whole.id}"]`).waitFor({timeout: WAIT});
    const nav = await page.locator('nav').textContent();
    check(!/Keys|Nodes/.test(nav), `member navigation: ${nav}`);
    await page.locator('.legend li', {hasText: 'other tenants'}).waitFor({timeout: WAIT});
    check(await page.locator(`.seg[data-job="${s.pair.id}"]`).count() === 0, 'another tenant\'s job id is shown');
    await page.goto(`${URL}/#/admin/keys`);
    await page.locator('.notice.error', {hasText: 'admin keys'}).waitFor({timeout: WAIT});
    await page.getByRole('button', {name: 'Sign out'}).click();
    await page.getByLabel('API key').waitFor({timeout: WAIT});
  }],

  ['every page fits a 1280x720 and a 1024x768 screen; the dark theme too', async (page, s, errors) => {
    await page.getByLabel('API key').fill(ADMIN);
    await page.getByRole('button', {name: 'Sign in'}).click();
    await page.locator('#who', {hasText: 'admin'}).waitFor({timeout: WAIT});
    for (const [width, height] of [[1280, 720], [1024, 768]]) {
      await page.setViewportSize({width, height});
      for (const route of [...PAGES, `/jobs/${s.whole.id}`]) {
        await page.goto(`${URL}/#${route}`);
        await page.locator('.page h1').waitFor({timeout: WAIT});
        await page.waitForLoadState('networkidle', {timeout: 5000}).catch(() => {});
        const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        check(over <= 0, `#${route} at ${width}x${height} is ${over} px too wide`);
      }
    }
    await page.emulateMedia({colorScheme: 'dark'});
    for (const route of [...PAGES, `/jobs/${s.whole.id}`]) {
      await page.goto(`${URL}/#${route}`);
      await page.locator('.page h1').waitFor({timeout: WAIT});
      await page.waitForLoadState('networkidle', {timeout: 5000}).catch(() => {});
      await audit(page, `dark ${route}`);
    }
    await page.emulateMedia({colorScheme: 'light'});
    await page.getByRole('button', {name: 'Sign out'}).click();
  }],

  ['accessibility: no WCAG 2 AA violations on any page, light or dark (axe-core)', async (page, s, errors) => {
    check(Object.keys(audits).length >= 15, `audited only ${Object.keys(audits)}`);
    const bad = Object.entries(audits).filter(([, v]) => v.length > 0);
    check(bad.length === 0, `violations: ${JSON.stringify(Object.fromEntries(bad))}`);
  }],

  ['no console errors', async (page, s, errors) => {
    // The refused key shows as a failed load; nothing else may.
    const expected = (e) => /Failed to load resource/.test(e.text) &&
      /status of 401/.test(e.text) && e.url.endsWith('/v1/whoami');
    const unexpected = errors.filter((e) => !expected(e));
    check(unexpected.length === 0, `console errors: ${JSON.stringify(unexpected)}`);
  }],
];

async function run() {
  const {page, errors, close} = await launch();
  const s = {};  // what the steps share
  onFailure(async (name) => {
    const file = shotPath(`failure-${name.replace(/[^a-z0-9]+/gi, '-')}`);
    if (file) await page.screenshot({path: file, fullPage: true});
    console.log(`page at failure: ${page.url()}${file ? `, screenshot ${file}` : ''}`);
  });
  try {
    for (const [name, fn] of STEPS) await step(name, () => fn(page, s, errors));
  } finally {
    await close();
  }
}

main(run);
