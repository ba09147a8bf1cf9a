// Launches Debian's Chromium through playwright-core (which downloads no browser) with a fresh
// profile and no network of its own, and records every console error and page error.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const {WAIT} = require('./steps.js');

const CHROMIUM = process.env.FASTGPU_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

function loadPlaywright() {
  try {
    return require(path.join(__dirname, 'node_modules', 'playwright-core'));
  } catch (e) {
    throw new Error(`playwright-core is not installed in ${__dirname}/node_modules ` +
      `(run tests/web/setup.sh or scripts/install-deps.sh): ${e.message}`);
  }
}

async function launch({width = 1366, height = 900} = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (scripts/install-deps.sh)`);
  }
  const {chromium} = loadPlaywright();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-web-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: ARGS,
    viewport: {width, height}, deviceScaleFactor: 1, locale: 'en-US', timezoneId: 'UTC',
    colorScheme: 'light', reducedMotion: 'reduce',
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(WAIT);  // clicks and fills wait as long as the steps' own waits
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push({text: msg.text(), url: (msg.location() || {}).url || ''});
  });
  page.on('pageerror', (err) => errors.push({text: `uncaught: ${err.message}`, url: ''}));
  const close = async () => {
    await context.close().catch(() => {});
    fs.rmSync(profile, {recursive: true, force: true});
  };
  return {context, page, errors, close};
}

module.exports = {launch, CHROMIUM};
