// The login page: username and password → POST /api/v1/sessions.
// Shows why the user is here (session expired) and a collapsible list of the
// demo accounts (this is a demo deployment).

import { t } from './i18n.js';
import { api, errorText } from './api.js';
import { h } from './ui.js';
import { brand } from './shell.js';
import { langButton, largeTextButton } from './controls.js';

const DEMO_USERS = [
  ['patient1', 'patient'], ['doctor1', 'doctor'], ['specialist1', 'doctor'],
  ['pharmacist1', 'pharmacist'], ['pharmacy1', 'pharmacy_staff'],
  ['admin', 'admin'], ['supervisor', 'supervisor'],
];
const DEMO_PASSWORD = 'lianyi-demo';

function field(id, label, attrs) {
  return h('div', { class: 'field' },
    h('label', { for: id, text: label }),
    h('input', { id, name: id, required: true, ...attrs }));
}

function demoHint(form) {
  const fill = (user) => {
    form.elements.username.value = user;
    form.elements.password.value = DEMO_PASSWORD;
    form.querySelector('button[type=submit]').focus();
  };
  return h('details', { class: 'demo-hint' },
    h('summary', { text: t('login.demo_title') }),
    h('p', { text: t('login.demo_text', { password: DEMO_PASSWORD }) }),
    h('ul', { class: 'demo-list' }, DEMO_USERS.map(([user, role]) => h('li', {},
      h('button', { type: 'button', class: 'demo-user', onclick: () => fill(user) },
        h('span', { class: 'demo-name', text: user }),
        h('span', { class: 'role-badge', text: t(`role.${role}`) }))))));
}

// opts: reason ('expired' | null), onLang(), onLoggedIn(token, account)
export function render(root, { reason, onLang, onLoggedIn }) {
  const error = h('p', { class: 'form-error', role: 'alert', id: 'login-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('login.submit'));
  const form = h('form', { class: 'login-form', novalidate: true, 'aria-describedby': 'login-error' },
    field('username', t('login.username'), { autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' }),
    field('password', t('login.password'), { type: 'password', autocomplete: 'current-password' }),
    error, submit);

  const showError = (msg) => {
    error.textContent = msg;
    error.hidden = false;
    for (const input of form.querySelectorAll('input')) input.setAttribute('aria-invalid', 'true');
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const username = form.elements.username.value.trim();
    const password = form.elements.password.value;
    if (!username || !password) { showError(t('login.missing')); return; }
    error.hidden = true;
    for (const input of form.querySelectorAll('input')) input.removeAttribute('aria-invalid');
    submit.disabled = true;
    submit.textContent = t('login.submitting');
    try {
      const res = await api('POST', '/api/v1/sessions', { body: { username, password }, auth: false });
      onLoggedIn(res.token, res.account);
    } catch (err) {
      showError(errorText(err));
      submit.disabled = false;
      submit.textContent = t('login.submit');
      form.elements.password.select();
    }
  });

  root.replaceChildren(
    h('header', { class: 'login-top' },
      h('div', { class: 'header-tools' }, langButton(onLang), largeTextButton())),
    h('main', { id: 'main', class: 'login-main' },
      h('div', { class: 'login-card card' },
        brand(null),
        h('h1', { class: 'login-title', tabindex: '-1', text: t('login.title') }),
        h('p', { class: 'login-sub', text: t('login.subtitle') }),
        reason === 'expired'
          ? h('p', { class: 'notice', role: 'status', text: t('login.expired') }) : null,
        form,
        demoHint(form))));
}
