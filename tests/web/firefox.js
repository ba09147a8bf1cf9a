// The dashboard's main paths in headless Firefox ESR (WebDriver BiDi), against a real server
// and agent that test_dashboard.py started: a wrong key refused, sign in, a job on its GPU, its
// live log growing, cancel, the usage and keys pages, no console errors. The same markup as in
// Chromium (dashboard.js), driven by script in the page.
// Env and output: as dashboard.js.
'use strict';
const {launch} = require('./firefox_bidi.js');
const {URL, ADMIN, results, must, check, step, shotPath, waitJob, submit, TRAINING_SCRIPT, main} =
  require('./steps.js');

// Sets an input's value as typing would, then submits its form.
const fillAndSubmit = (selector, value) => `(() => {
  const input = document.querySelector(${JSON.stringify(selector)});
  input.value = ${JSON.stringify(value)};
  input.dispatchEvent(new Event('input', {bubbles: true}));
  input.form.requestSubmit();
  return true;
})()`;
const text = (selector) => `(document.querySelector(${JSON.stringify(selector)}) || {}).textContent || ''`;

// The steps, in order (see dashboard.js).
const STEPS = [
  ['firefox: a wrong key is refused', async (page, s, errors) => {
    await page.goto(`${URL}/`);
    await page.waitFor('document.querySelector("#api-key")', 'the sign-in form');
    await page.evaluate(fillAndSubmit('#api-key', `fgk_00000000_${'0'.repeat(32)}`));
    const alert = await page.waitFor(`(${text('[role=alert]')}).includes('not accepted') && ${text('[role=alert]')}`, 'the refusal');
    check(/not accepted/.test(alert), alert);
  }],

  ['firefox: sign in and see a job appear on its GPU', async (page, s, errors) => {
    await page.evaluate(fillAndSubmit('#api-key', ADMIN));
    await page.waitFor('document.querySelector(\'.node[data-node="node-a"]\')', 'the pool');
    s.job = await submit(ADMIN, 'train-resnet', 0.5, TRAINING_SCRIPT);
    await waitJob(s.job.id, ['running']);
    const width = await page.waitFor(`(document.querySelector('.bar a.seg[data-job="${s.job.id}"]') || {style: {}}).style.width`,
      'the job on its GPU');
    check(width === '50%', `a 0.5 GPU slice is drawn ${width} wide`);
    const file = shotPath('firefox-pool');
    if (file) await page.screenshot(file);
  }],

  ['firefox: the live log grows, then cancel', async (page, s, errors) => {
    await page.goto(`${URL}/#/jobs/${s.job.id}`);
    const first = await page.waitFor(`/step \\d+\\//.test(${text('pre.log')}) && ${text('pre.log')}`, 'log lines');
    const seen = Math.max(...[...first.matchAll(/step (\d+)\//g)].map((m) => Number(m[1])));
    const later = await page.waitFor(`(${text('pre.log')}).includes('step ${seen + 3}/') && ${text('pre.log')}`, 'more log lines');
    check(later.startsWith(first), 'the log did not grow in place');
    await page.evaluate(`(() => { window.confirm = () => true;
      [...document.querySelectorAll('button')].find((b) => b.textContent === 'Cancel job').click(); return true; })()`);
    await page.waitFor(`(${text('h1 .badge')}) === 'cancelled'`, 'the job cancelled');
    check((await must('GET', `/v1/jobs/${s.job.id}`)).state === 'cancelled', 'not cancelled on the server');
    await page.waitFor(`(${text('.log-status')}).includes('complete')`, 'the log complete');
  }],

  ['firefox: the usage chart and the keys page render', async (page, s, errors) => {
    await page.goto(`${URL}/#/usage`);
    await page.waitFor('document.querySelector("svg.chart rect.mark")', 'the usage chart');
    await page.goto(`${URL}/#/admin/keys`);
    await page.waitFor('document.querySelectorAll("table.grid tbody tr").length >= 1', 'the key list');
  }],

  ['firefox: no console errors', async (page, s, errors) => {
    check(errors.length === 0, `console errors: ${JSON.stringify(errors)}`);
  }],
];

async function run() {
  const {page, errors, close} = await launch();
  const s = {};
  try {
    for (const [name, fn] of STEPS) await step(name, () => fn(page, s, errors));
  } finally {
    await close();
  }
}

main(run);
