// What the browser scenarios share: the API as a client of the test, named steps with a result
// line each, checks, and waiting for a job's state.
'use strict';
const fs = require('fs');
const path = require('path');

const URL = process.env.FG_URL;
const ADMIN = process.env.FG_ADMIN_KEY;
const SHOTS = process.env.FG_SCREENSHOTS;
// How long a step waits for what it expects (FG_WAIT_MS): generous, since each wait ends as soon
// as the condition holds and CI's 2 cores may be busy with other tests.
const WAIT = Number(process.env.FG_WAIT_MS) || 30000;
const results = {passed: [], failed: [], notes: []};

async function api(method, route, body, key = ADMIN) {
  const res = await fetch(URL + route, {
    method, headers: {Authorization: `Bearer ${key}`, 'Content-Type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body)});
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return {status: res.status, body: json, text};
}

async function must(method, route, body, key, want = 200) {
  const r = await api(method, route, body, key);
  if (r.status !== want) throw new Error(`${method} ${route} -> ${r.status} (want ${want}): ${r.text}`);
  return r.body;
}

function check(cond, message) {
  if (!cond) throw new Error(message);
}

let failureHook = null;
// fn(stepName) runs when a step fails, e.g. to save a screenshot of the page as it was.
function onFailure(fn) {
  failureHook = fn;
}

// Runs one step; a failing step is recorded and ends the scenario (later steps build on it).
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.passed.push(name);
    console.log(`ok - ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.failed.push({step: name, error: String((e && e.stack) || e)});
    console.log(`not ok - ${name}: ${e && e.message}`);
    if (failureHook) await failureHook(name).catch((err) => console.log(`(failure hook: ${err.message})`));
    throw e;
  }
}

// The path of screenshot `name` (its folder created), or null when none are wanted.
function shotPath(name) {
  if (!SHOTS) return null;
  fs.mkdirSync(SHOTS, {recursive: true});
  return path.join(SHOTS, `${name}.png`);
}

async function waitJob(id, states, timeout = WAIT) {
  const deadline = Date.now() + timeout;
  let job = null;
  while (Date.now() < deadline) {
    job = await must('GET', `/v1/jobs/${id}`);
    if (states.includes(job.state)) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} is ${job && job.state}, not ${states.join('/')}, after ${timeout} ms`);
}

function submit(key, name, gpus, script) {
  return must('POST', '/v1/jobs', {name, argv: ['sh', '-c', script], resources: {gpus}}, key, 201);
}

// A job that prints a numbered line every 0.3 s until cancelled: its log grows while a page
// shows it.
const TRAINING_SCRIPT = 'echo "loading ImageNet shards"; i=0; while [ $i -lt 900 ]; do ' +
  'i=$((i + 1)); echo "step $i/900  loss=0.$((900 - i))  lr=3e-4"; sleep 0.3; done';

// Runs the scenario and prints the results as the last line (JSON), for test_dashboard.py.
function main(scenario) {
  scenario().catch(() => { process.exitCode = 1; }).finally(() => {
    console.log(JSON.stringify(results));
  });
}

module.exports = {URL, ADMIN, WAIT, results, api, must, check, step, onFailure, shotPath, waitJob,
  submit, TRAINING_SCRIPT, main};
