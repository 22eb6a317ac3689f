// The app: boot, hash router and session flow.
//
// Routes: #/login[?reason=expired], #/home (→ the role's home),
// #/<segment>/<screen> where <segment> is the role's folder (session.roleSegment)
// and <screen> is 'home', an id listed in web/<segment>/home.js, or one every
// role has (COMMON: the notification centre, reached from the header's bell).
// Without a token every route but #/login goes to the login page, which brings
// the user back to the route they wanted.

import { setLang, t } from './i18n.js';
import { api, onSessionExpired, idle, setClosing } from './api.js';
import { closeSocket } from './ws.js';
import {
  getToken, setSession, clearSession, getAccount, setAccount,
  setReturnRoute, takeReturnRoute, roleSegment,
} from './session.js';
import { applyLargeText } from './controls.js';
import { renderShell } from './shell.js';
import { renderComingSoon } from './home.js';
import * as notify from './notify.js';
import { loadingState, errorState } from './ui.js';
import * as login from './login.js';

const root = document.getElementById('app');
const COMMON = [{ id: 'notifications', icon: 'bell', common: true, load: () => import('./notifications.js') }];
let seq = 0;   // bumped on every render; a screen whose number is stale is gone

function go(hash) {
  if (location.hash === hash) route();
  else location.replace(hash);
}

function parse(hash) {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?');
  return { parts: path.split('/').filter(Boolean), query: new URLSearchParams(query) };
}

function setTitle(screenTitle) {
  const app = t('app.title');
  document.title = screenTitle ? `${screenTitle} · ${app}` : app;
}

// Moves focus to the new page's heading so screen readers announce it.
function focusHeading() {
  const h1 = root.querySelector('h1');
  if (h1) h1.focus({ preventScroll: true });
}

function sessionExpired() {
  if (!getToken()) return;
  notify.stop();
  clearSession();
  closeSocket();
  setReturnRoute(location.hash);
  go('#/login?reason=expired');
}

async function logout() {
  notify.stop();
  setClosing(true); // nothing new starts; what is in flight finishes with its session
  await idle();
  try {
    await api('DELETE', '/api/v1/sessions/current', { expire: false, allowClosing: true });
  } catch { /* the session is gone either way */ }
  clearSession();
  setClosing(false);
  closeSocket();
  takeReturnRoute();
  go('#/login');
}

function loggedIn(token, account) {
  setSession(token, account);
  const want = takeReturnRoute();
  const seg = roleSegment(account.role);
  go(want && want.startsWith(`#/${seg}/`) ? want : '#/home');
}

// Marks the page as rendered for `hash` (tests wait for #app[data-route=...]).
function rendered(hash) {
  focusHeading();
  root.dataset.route = hash;
}

function showLogin(hash, query) {
  setTitle(t('login.title'));
  login.render(root, { reason: query.get('reason'), onLang: route, onLoggedIn: loggedIn });
  rendered(hash);
}

// Fetches the account after a page load. Returns false when the page shows an
// error (or went to the login page) instead.
async function ensureAccount(my) {
  if (getAccount()) return true;
  root.replaceChildren(loadingState());
  try {
    const res = await api('GET', '/api/v1/me');
    if (my !== seq) return false;
    setAccount(res.account);
    return true;
  } catch (err) {
    if (!err.handled && my === seq) {
      root.replaceChildren(errorState(err, route));
    }
    return false;
  }
}

// Renders <segment>/<screenId> inside the frame and returns true; unknown
// screens go home instead (false).
async function renderScreen(my, account, segment, screenId) {
  const roleMod = await import(`./${segment}/home.js`);
  if (my !== seq) return false;
  const screen = roleMod.screens.find((s) => s.id === screenId) || COMMON.find((s) => s.id === screenId);
  if (screenId !== 'home' && !screen) {
    go(`#/${segment}/home`);
    return false;
  }
  const mod = screen && screen.load ? await screen.load() : null;
  if (my !== seq) return false;
  const main = renderShell(root, {
    account, segment, screens: roleMod.screens, current: screenId,
    onLang: route, onLogout: logout,
  });
  const ctx = { account, segment, screen, alive: () => my === seq };
  if (screenId === 'home') {
    roleMod.render(main, ctx);
    setTitle(t('nav.home'));
  } else {
    if (mod) mod.render(main, ctx);
    else renderComingSoon(main, ctx);
    setTitle(t(screen.common ? `nav.${screen.id}` : `nav.${segment}.${screen.id}`));
  }
  return true;
}

async function route() {
  const my = ++seq;
  delete root.dataset.route;
  const hash = location.hash || '#/home';
  const { parts, query } = parse(hash);

  if (parts[0] === 'login') {
    if (getToken()) return go('#/home');
    return showLogin(hash, query);
  }
  if (!getToken()) {
    setReturnRoute(hash);
    return go('#/login');
  }
  if (!(await ensureAccount(my))) return;

  const account = getAccount();
  const segment = roleSegment(account.role);
  if (!segment) {            // a role this app has no screens for
    clearSession();
    return go('#/login');
  }
  if (parts[0] !== segment || parts.length !== 2) return go(`#/${segment}/home`);
  notify.start(account, segment);

  let done;
  try {
    done = await renderScreen(my, account, segment, parts[1]);
  } catch (err) {            // a module failed to load: offline
    console.warn('screen failed to load', err);
    if (my === seq) root.replaceChildren(errorState({ code: 'network' }, route));
    return;
  }
  if (done && my === seq) rendered(hash);
}

// Shown only when not even the dictionary loads, so it cannot be translated.
function bootFailed(err) {
  console.error('boot failed', err);
  const p = document.createElement('p');
  p.className = 'boot-error';
  p.textContent = '网络连接失败，请刷新重试。 Network error: please reload the page.';
  root.replaceChildren(p);
}

async function boot() {
  applyLargeText();
  try { await setLang(); } catch (err) { bootFailed(err); return; }
  onSessionExpired(sessionExpired);
  window.addEventListener('hashchange', route);
  route();
}

boot();
