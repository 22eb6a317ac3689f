// The two dictionaries agree, and every key the code uses exists in both —
// a key missing from either language fails. Needs no server. (The pages and
// journey tests also fail on any "missing key" the app logs while running.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDict, WEB_DIR } from './lib/browser.js';

const zh = loadDict('zh-CN');
const en = loadDict('en');

function placeholders(s) {
  return [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

function jsFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return jsFiles(p);
    return e.name.endsWith('.js') ? [p] : [];
  });
}

test('every zh-CN key exists in en', () => {
  const missing = Object.keys(zh).filter((k) => !(k in en));
  assert.deepEqual(missing, []);
});

test('every en key exists in zh-CN', () => {
  const missing = Object.keys(en).filter((k) => !(k in zh));
  assert.deepEqual(missing, []);
});

test('translations are non-empty and use the same {placeholders}', () => {
  for (const k of Object.keys(zh)) {
    assert.ok(typeof zh[k] === 'string' && zh[k].trim(), `zh-CN ${k} empty`);
    assert.ok(typeof en[k] === 'string' && en[k].trim(), `en ${k} empty`);
    assert.deepEqual(placeholders(zh[k]), placeholders(en[k]), `placeholders of ${k}`);
  }
});

test('every literal t(\'key\') in web/ is in both dictionaries', () => {
  const missing = [];
  for (const file of jsFiles(WEB_DIR)) {
    const src = fs.readFileSync(file, 'utf8');
    for (const m of src.matchAll(/\bt\(\s*'([^'$]+)'/g)) {
      for (const [lang, d] of [['zh-CN', zh], ['en', en]]) {
        if (!(m[1] in d)) missing.push(`${path.relative(WEB_DIR, file)}: ${m[1]} (${lang})`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

test('every computed t(`prefix.${…}`) has keys under its prefix in both dictionaries', () => {
  const missing = [];
  for (const file of jsFiles(WEB_DIR)) {
    const src = fs.readFileSync(file, 'utf8');
    for (const m of src.matchAll(/\bt\(\s*`([^`$]+)\$\{/g)) {
      for (const [lang, d] of [['zh-CN', zh], ['en', en]]) {
        if (!Object.keys(d).some((k) => k.startsWith(m[1]))) missing.push(`${path.relative(WEB_DIR, file)}: ${m[1]}… (${lang})`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

test('every kind of notification has its words in both dictionaries', async () => {
  const { KINDS } = await import(pathToFileURL(path.join(WEB_DIR, 'notify.js')).href);
  assert.ok(KINDS.length >= 15);
  const missing = KINDS.flatMap((k) => [['zh-CN', zh], ['en', en]]
    .filter(([, d]) => !(`notify.kind.${k}` in d)).map(([lang]) => `notify.kind.${k} (${lang})`));
  assert.deepEqual(missing, []);
});

test('every role screen has a label and a description; every role a name', () => {
  const roles = ['patient', 'doctor', 'pharmacist', 'pharmacy_staff', 'admin', 'supervisor'];
  for (const r of roles) assert.ok(`role.${r}` in zh, `role.${r}`);
  const segments = ['patient', 'doctor', 'pharmacist', 'pharmacy', 'admin', 'supervisor'];
  // Screen ids are read from each role's home.js (`{ id: '...' }` entries).
  for (const seg of segments) {
    const src = fs.readFileSync(path.join(WEB_DIR, seg, 'home.js'), 'utf8');
    const ids = [...src.matchAll(/\{\s*id:\s*'([^']+)'/g)].map((m) => m[1]);
    assert.ok(ids.length > 0, `${seg} has screens`);
    assert.ok(`home.intro.${seg}` in zh, `home.intro.${seg}`);
    for (const id of ids) {
      assert.ok(`nav.${seg}.${id}` in zh, `nav.${seg}.${id}`);
      assert.ok(`screen.${seg}.${id}.desc` in zh, `screen.${seg}.${id}.desc`);
    }
  }
});
