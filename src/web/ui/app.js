// The dashboard's shell: sign-in with an API key, the navigation, and a hash router that mounts
// one page at a time. A page is mount(root, ctx); everything it starts is tied to ctx.signal,
// which is aborted when the user leaves the page.
import {Api, ApiError, whoami} from './api.js';
import {h, replace, field, notice} from './dom.js';
import {PoolPage} from './pool.js';
import {QueuePage, JobsPage} from './jobs.js';
import {JobPage} from './job.js';
import {UsagePage} from './usage.js';
import {NodesPage, KeysPage} from './admin.js';

const KEY_NAME = 'fastgpu.api_key';

const ROUTES = [
  {path: /^\/pool$/, title: 'Pool', page: PoolPage},
  {path: /^\/queue$/, title: 'Queue', page: QueuePage},
  {path: /^\/jobs$/, title: 'Jobs', page: JobsPage},
  {path: /^\/jobs\/(-?\d+)$/, title: 'Job', page: JobPage, nav: '/jobs'},
  {path: /^\/usage$/, title: 'Usage', page: UsagePage},
  {path: /^\/admin\/nodes$/, title: 'Nodes', page: NodesPage, admin: true},
  {path: /^\/admin\/keys$/, title: 'Keys', page: KeysPage, admin: true},
];
const NAV = [
  ['/pool', 'Pool'], ['/queue', 'Queue'], ['/jobs', 'Jobs'], ['/usage', 'Usage'],
  ['/admin/nodes', 'Nodes', true], ['/admin/keys', 'Keys', true],
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let session = null;   // {api, caller}
let current = null;   // {controller: AbortController}

function storedKey() {
  return sessionStorage.getItem(KEY_NAME) || localStorage.getItem(KEY_NAME) || '';
}

function signOut(message) {
  sessionStorage.removeItem(KEY_NAME);
  localStorage.removeItem(KEY_NAME);
  session = null;
  unmount();
  showSignIn(message);
}

function showSignIn(message) {
  document.title = 'Sign in · fastgpu';
  replace(nav);
  replace(who);
  const input = h('input', {type: 'password', name: 'key', id: 'api-key', required: true,
    autocomplete: 'off', spellcheck: 'false', placeholder: 'fgk_…'});
  const remember = h('input', {type: 'checkbox', name: 'remember', id: 'remember'});
  const status = h('div', {class: 'form-status', 'aria-live': 'polite'});
  if (message) replace(status, notice('error', message));
  const button = h('button', {type: 'submit', class: 'primary'}, 'Sign in');
  const form = h('form', {class: 'signin card', 'aria-labelledby': 'signin-title'},
    h('h1', {id: 'signin-title'}, 'Sign in to fastgpu'),
    h('p', {}, 'Paste an API key. A new server writes its first admin key to ',
      h('code', {}, 'DATA/admin-key'), '; ', h('code', {}, 'fastgpu key create'), ' makes more.'),
    field('API key', input),
    h('label', {class: 'check'}, remember, ' Remember on this computer (otherwise only in this tab)'),
    button, status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    button.disabled = true;
    replace(status, notice('info', 'Checking the key…'));
    try {
      const caller = await whoami(key);
      (remember.checked ? localStorage : sessionStorage).setItem(KEY_NAME, key);
      start(key, caller);
    } catch (e) {
      button.disabled = false;
      replace(status, notice('error', signInError(e)));
      input.select();
    }
  });
  replace(main, form);
  input.focus();
}

function signInError(e) {
  if (e instanceof ApiError && e.status === 401) return `That API key was not accepted: ${e.message}.`;
  if (e instanceof ApiError) return `The server answered ${e.status || 'nothing'}: ${e.message}`;
  return `Sign-in failed: ${e.message}`;
}

function start(key, caller) {
  const api = new Api(key, (error) => {
    if (session && session.api === api) signOut(`Your API key is no longer accepted: ${error.message}.`);
  });
  session = {api, caller};
  drawChrome();
  route();
}

function drawChrome() {
  const admin = session.caller.role === 'admin';
  replace(nav, h('ul', {}, NAV.filter(([, , a]) => !a || admin).map(([path, label]) =>
    h('li', {}, h('a', {href: `#${path}`, dataset: {path}}, label)))));
  const c = session.caller;
  replace(who,
    h('span', {class: 'caller', title: `key ${c.key_prefix}`},
      h('strong', {}, c.tenant), ` · ${c.role}${c.user ? ` · ${c.user}` : ''}`),
    h('button', {type: 'button', class: 'link', onclick: () => signOut()}, 'Sign out'));
}

function unmount() {
  if (current) current.controller.abort();
  current = null;
}

function route() {
  if (!session) return;
  const path = (location.hash || '').replace(/^#/, '') || '/pool';
  const match = ROUTES.map((r) => ({r, m: path.match(r.path)})).find((x) => x.m);
  unmount();
  const controller = new AbortController();
  current = {controller};
  for (const a of nav.querySelectorAll('a')) {
    const active = match && (match.r.nav || path) === a.dataset.path;
    if (active) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const root = h('div', {class: 'page'});
  replace(main, h('div', {class: 'page-error', 'aria-live': 'assertive'}), root);
  if (!match) {
    document.title = 'Not found · fastgpu';
    return replace(root, h('h1', {}, 'No such page'), h('p', {}, h('a', {href: '#/pool'}, 'Go to the pool')));
  }
  if (match.r.admin && session.caller.role !== 'admin') {
    document.title = `${match.r.title} · fastgpu`;
    return replace(root, h('h1', {}, match.r.title), notice('error', 'This page is for admin keys.'));
  }
  document.title = `${match.r.title} · fastgpu`;
  const ctx = makeContext(controller.signal, match.m.slice(1));
  Promise.resolve(match.r.page(root, ctx)).catch((e) => ctx.fail(e));
}

// What a page gets: the API, the caller, its route parameters, and helpers whose work stops
// when the page goes away.
function makeContext(signal, params) {
  const ctx = {
    api: session.api,
    caller: session.caller,
    params,
    signal,
    get alive() { return !signal.aborted; },
    // Runs fn now and then every `ms` after it finishes, while the page is shown.
    every(ms, fn) {
      let timer = null;
      const tick = async () => {
        if (signal.aborted) return;
        if (!document.hidden) {
          try {
            await fn();
            ctx.clearError();
          } catch (e) {
            ctx.fail(e);
          }
        }
        if (!signal.aborted) timer = setTimeout(tick, ms);
      };
      signal.addEventListener('abort', () => clearTimeout(timer));
      tick();
    },
    // Shows an error at the top of the page (not for aborted requests or a lost key, which
    // signs out).
    fail(e) {
      if (signal.aborted || (e && e.name === 'AbortError')) return;
      if (e instanceof ApiError && e.status === 401) return;
      const box = ctx.errorBox();
      if (box) replace(box, notice('error', e instanceof ApiError && e.status === 0 ? e.message : `${e.message}`));
    },
    clearError() {
      const box = ctx.errorBox();
      if (box && box.firstChild) replace(box);
    },
    errorBox() {
      return main.querySelector('.page-error');
    },
  };
  return ctx;
}

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (event) => {
  // Aborted fetches of a page the user left are expected; nothing else should get here.
  if (event.reason && event.reason.name === 'AbortError') event.preventDefault();
});

(async function boot() {
  const key = storedKey();
  if (!key) return showSignIn();
  try {
    start(key, await whoami(key));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) signOut(`Your saved API key is no longer accepted: ${e.message}.`);
    else showSignIn(signInError(e));
  }
})();
