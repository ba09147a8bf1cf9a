// Debian's Firefox ESR, headless, driven over WebDriver BiDi (Firefox's own remote protocol: no
// driver binary, no npm package; Node's WebSocket needs --experimental-websocket on Node 20).
// A fresh profile whose prefs keep Firefox off the network; console errors and uncaught page
// errors are recorded.
'use strict';
const {spawn} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const {WAIT} = require('./steps.js');

const FIREFOX = process.env.FASTGPU_FIREFOX || '/usr/bin/firefox-esr';
const PREFS = {
  'app.update.auto': false, 'app.update.enabled': false, 'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore', 'browser.startup.page': 0,
  'browser.newtabpage.enabled': false, 'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false, 'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false, 'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.healthreport.uploadEnabled': false, 'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.server': '', 'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false, 'network.dns.disablePrefetch': true,
  'network.prefetch-next': false, 'services.settings.server': 'http://127.0.0.1:9/',
  'extensions.update.enabled': false, 'extensions.getAddons.cache.enabled': false,
  'geo.provider.network.url': '', 'messaging-system.rsexperimentloader.enabled': false,
  'app.normandy.enabled': false, 'browser.region.network.url': '', 'browser.ping-centre.telemetry': false,
  'remote.prefs.recommended': true,
};

class Bidi {
  constructor(ws) {
    this.ws = ws;
    this.next = 1;
    this.pending = new Map();
    this.listeners = [];
    ws.addEventListener('message', (event) => {
      const msg = JSON.parse(event.data);
      if (msg.id !== undefined && this.pending.has(msg.id)) {
        const {resolve, reject} = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.type === 'error') reject(new Error(`${msg.error}: ${msg.message}`));
        else resolve(msg.result);
      } else if (msg.type === 'event') {
        for (const fn of this.listeners) fn(msg);
      }
    });
  }

  send(method, params = {}) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {resolve, reject});
      this.ws.send(JSON.stringify({id, method, params}));
    });
  }
}

// A page: evaluate(js) returns the value of an expression (awaited), waitFor(js) polls one
// until it is truthy.
class Page {
  constructor(bidi, context) {
    this.bidi = bidi;
    this.context = context;
  }

  async goto(url) {
    await this.bidi.send('browsingContext.navigate', {context: this.context, url, wait: 'complete'});
  }

  async evaluate(expression) {
    const r = await this.bidi.send('script.evaluate', {
      expression, target: {context: this.context}, awaitPromise: true, resultOwnership: 'none'});
    if (r.type === 'exception') throw new Error(`${expression}: ${r.exceptionDetails.text}`);
    return fromRemote(r.result);
  }

  async waitFor(expression, what, timeout = WAIT) {
    const deadline = Date.now() + timeout;
    let last;
    while (Date.now() < deadline) {
      try {
        last = await this.evaluate(expression);
        if (last) return last;
      } catch (e) {
        last = e.message;  // the page is navigating: try again
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what || expression}; last: ${JSON.stringify(last)}`);
  }

  async screenshot(file) {
    const {data} = await this.bidi.send('browsingContext.captureScreenshot', {context: this.context, origin: 'document'});
    fs.writeFileSync(file, Buffer.from(data, 'base64'));
  }
}

function fromRemote(v) {
  if (!v) return undefined;
  if (v.type === 'array') return v.value.map(fromRemote);
  if (v.type === 'object') return Object.fromEntries(v.value.map(([k, x]) => [k, fromRemote(x)]));
  return v.value;
}

async function launch({width = 1366, height = 900} = {}) {
  if (!fs.existsSync(FIREFOX)) throw new Error(`${FIREFOX} not found: install Debian's firefox-esr (scripts/install-deps.sh)`);
  if (typeof WebSocket !== 'function') throw new Error('this Node has no WebSocket (run node --experimental-websocket)');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-web-firefox-'));
  fs.writeFileSync(path.join(profile, 'user.js'),
    Object.entries(PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(''));
  const proc = spawn(FIREFOX, ['--headless', '--no-remote', '--profile', profile, '--remote-debugging-port', '0',
    `--width=${width}`, `--height=${height}`, 'about:blank'], {stdio: ['ignore', 'pipe', 'pipe'], detached: true});
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Firefox did not start its BiDi server:\n${output}`)), 3 * WAIT);
    const onData = (chunk) => {
      output += chunk;
      const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`Firefox exited ${code}:\n${output}`)); });
  });
  const ws = new WebSocket(`${url}/session`);
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error(`cannot connect to ${url}`)); });
  const bidi = new Bidi(ws);
  await bidi.send('session.new', {capabilities: {}});
  const errors = [];
  bidi.listeners.push((msg) => {
    if (msg.method === 'log.entryAdded' && msg.params.level === 'error') errors.push({text: msg.params.text, source: msg.params.type});
  });
  await bidi.send('session.subscribe', {events: ['log.entryAdded']});
  const {contexts} = await bidi.send('browsingContext.getTree', {});
  const page = new Page(bidi, contexts[0].context);
  await bidi.send('browsingContext.setViewport', {context: page.context, viewport: {width, height}});
  const close = async () => {
    await bidi.send('browser.close', {}).catch(() => {});
    ws.close();
    await new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      const timer = setTimeout(() => { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } resolve(); }, 5000);
      proc.on('exit', () => { clearTimeout(timer); resolve(); });
    });
    fs.rmSync(profile, {recursive: true, force: true});
  };
  return {page, errors, close};
}

module.exports = {launch, FIREFOX};
