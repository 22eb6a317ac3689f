// REST client for /api/v1. JSON in and out, Bearer token from the session.
//
// Every failure throws an ApiError {status, code, message, field, violations}:
//   - the server's {"error":{"code","message"}} when it sent one;
//   - code 'network' (status 0) when the request never got an answer;
//   - code 'http.<status>' for a non-JSON error response.
// A 401 on an authenticated call also runs the session-expired handler (the app
// sends the user to the login page and back afterwards); such errors carry
// `handled = true` so screens need not show them.

import { getToken } from './session.js';
import { t, tOr, getLang } from './i18n.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.handled = false;
  }
}

let expiredHandler = () => {};
let inFlight = 0;
const settled = [];

// Resolves when no request is in flight (or after ms): logging out waits so
// the requests of the page being left are not answered 401 half-way.
export function idle(ms = 1500) {
  if (inFlight === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    settled.push(() => { clearTimeout(timer); resolve(); });
  });
}

// While logging out no new authenticated request starts (a screen that chains
// one request on another would otherwise send the next with a session being
// revoked, and get 401): they fail at once as handled 'session.closing' errors.
let closing = false;
export function setClosing(on) { closing = on; }

export function onSessionExpired(fn) { expiredHandler = fn; }

// Lets ws.js report a rejected token the same way a REST 401 is reported.
export function notifySessionExpired(err) { expiredHandler(err); }

// api('GET', '/api/v1/me')
// options: body (sent as JSON), auth (default true: send the token), expire
// (default = auth: treat a 401 as an expired session), signal (AbortSignal),
// headers (more request headers, e.g. Idempotency-Key), allowClosing (the
// logout's own request, sent while others are held back).
export async function api(method, path, { body, auth = true, expire = auth, signal, headers: extra, allowClosing = false } = {}) {
  // The server words its messages and picks names in the Accept-Language.
  const headers = { Accept: 'application/json', 'Accept-Language': getLang(), ...extra };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = auth ? getToken() : null;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (closing && token && !allowClosing) {
    const err = new ApiError(0, 'session.closing', 'logging out');
    err.handled = true;
    throw err;
  }

  let res, text;
  inFlight += 1;
  try {
    res = await fetch(path, {
      method, headers, signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    text = await res.text();
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', e.message);
  } finally {
    inFlight -= 1;
    if (inFlight === 0) settled.splice(0).forEach((fn) => fn());
  }

  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (res.ok) return data;

  const body_err = data && data.error ? data.error : {};
  const err = new ApiError(res.status, body_err.code || `http.${res.status}`,
    body_err.message || res.statusText);
  err.field = body_err.field || null;
  err.violations = Array.isArray(body_err.violations) ? body_err.violations : null; // rule refusals (422)
  if (res.status === 401 && expire) {
    err.handled = true;
    expiredHandler(err);
  }
  throw err;
}

// The sentence to show for an error: our translation of its code when we have
// one (errors.<code>), else the server's own message, else a generic one.
export function errorText(err) {
  if (!err) return t('errors.unknown');
  if (err.code === 'network') return t('errors.network');
  return tOr(`errors.${err.code}`, err.message || t('errors.unknown'));
}
