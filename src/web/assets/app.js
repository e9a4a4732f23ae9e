// healer's status page: polls /api/status and /api/history every 2 s and renders with DOM calls only
// (no innerHTML, no inline script or style: the Content-Security-Policy forbids both).
'use strict';
const SVG = 'http://www.w3.org/2000/svg';
const POLL_MS = 2000;
const ICONS = { ok: '✔', warn: '◐', bad: '✖', none: '?' };
const OK = new Set(['healthy', 'running']);
const WARN = new Set(['starting', 'stopped', 'held', 'backoff', 'paused', 'restarting']);
const family = (s) => (OK.has(s) ? 'ok' : WARN.has(s) ? 'warn' : s ? 'bad' : 'none');
const failing = (s) => !OK.has(s) && s !== 'starting';

let status;
let hist;
let needLogin = false;
// healer runs without its history (history.path: off, or the file could not be opened): states only.
let histOff = false;

function h(tag, attrs, ...kids) {
  const el = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const k of kids.flat()) if (k !== undefined && k !== null) el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return el;
}
const pct = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(x === 1 ? 0 : 2)}%`);
const dur = (ms) => (ms === null || ms === undefined ? '—' : ms < 1000 ? `${ms} ms` : ms < 120000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60000)} min`);
const clock = (t) => new Date(t).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

async function get(url) {
  const r = await fetch(url, { cache: 'no-store', credentials: 'same-origin' });
  if (r.status === 401) return { unauthorised: true };
  if (r.status === 404) {
    const body = await r.json().catch(() => undefined);
    if (body && body.history === 'off') return { off: true };
  }
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return { data: await r.json() };
}

// Engine-supplied text shown as written, but with control characters, the line separators and the bidi
// overrides as escapes (\x1b, \u202e): a bidi override would reorder what the operator reads (src/printable.ts).
// eslint-disable-next-line no-control-regex -- control characters are exactly what is escaped
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const printable = (text) =>
  String(text).replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });

function stateCell(s) {
  const f = family(s);
  return h('span', { class: `state ${f}`, 'data-state': s || 'unknown' }, `${ICONS[f]} ${s || 'unknown'}`);
}

function bar(cells) {
  const svg = h('svg:svg', { class: 'bar', viewBox: `0 0 ${cells.length * 5} 16`, width: cells.length * 5, height: 16, role: 'img', 'aria-label': 'probe results, last 30 minutes' });
  cells.forEach((c, i) => {
    const cls = c.fail > 0 ? 'bad' : c.ok > 0 ? 'ok' : 'none';
    svg.append(h('svg:rect', { class: cls, x: i * 5, y: 0, width: 4, height: 16 }, h('svg:title', {}, `${clock(c.t)}: ${c.ok} passed, ${c.fail} failed`)));
  });
  return svg;
}

function bannerText() {
  if (!status) return ['none', needLogin ? 'Log in to see this healer' : 'healer has not reached the Docker engine yet'];
  if (status.engineReachable === false) return ['bad', 'healer itself is degraded: the Docker engine is unreachable; no action until it is back'];
  if (status.paused) return ['bad', 'healer itself is degraded: restarts paused, too many containers failing at once (breaker open)'];
  const n = status.containers.length;
  const bad = status.containers.filter((c) => failing(c.state)).length;
  const unreadable = (status.unreadable || []).length;
  const also = unreadable > 0 ? `; ${unreadable} container${unreadable === 1 ? '' : 's'} not watched: the engine fails to inspect ${unreadable === 1 ? 'it' : 'them'}` : '';
  if (bad > 0) return ['warn', `Degraded: ${bad} of ${n} watched containers need attention${also}`];
  return unreadable > 0 ? ['warn', `Degraded: all ${n} watched containers healthy${also}`] : ['ok', `All ${n} watched containers healthy`];
}

function banner() {
  const el = document.getElementById('banner');
  const [cls, text] = bannerText();
  el.className = cls;
  el.textContent = `${ICONS[cls] || ''} ${text}`;
}

function table(containers) {
  const onlyFailing = document.getElementById('failing-only').checked;
  const groups = new Map();
  for (const c of containers) {
    if (onlyFailing && !failing(c.state)) continue;
    // By compose project or Swarm stack; a Swarm service outside a stack (service, no project) by itself.
    const g = c.project || (c.service ? `service ${c.service}` : 'no compose project');
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(c);
  }
  const main = document.getElementById('groups');
  main.replaceChildren();
  if (groups.size === 0) main.append(h('p', {}, onlyFailing ? 'Nothing is failing.' : 'No containers are watched.'));
  for (const [name, list] of [...groups.entries()].sort()) {
    const rows = list.map((c) => {
      const s = hist && hist.containers[c.name];
      return h(
        'tr',
        { 'data-name': c.name, 'data-state': c.state },
        h('td', { 'data-label': 'state' }, stateCell(c.state)),
        h('td', {}, h('button', { class: 'link', type: 'button', 'data-open': c.name }, c.name), c.service ? h('div', { class: 'service' }, `service ${c.service}`) : null),
        hist ? h('td', { 'data-label': 'last 30 min' }, s ? bar(s.bar) : '—') : null,
        hist ? h('td', { class: 'num', 'data-label': 'uptime 1h / 24h / 7d' }, s ? `${pct(s.uptime.h1)} / ${pct(s.uptime.h24)} / ${pct(s.uptime.d7)}` : '—') : null,
        hist ? h('td', { class: 'num', 'data-label': 'restarts 24h' }, s ? s.restarts24h : '—') : null,
        hist ? h('td', { class: 'num', 'data-label': 'last recovery' }, s ? dur(s.lastRecoveryMs) : '—') : null,
      );
    });
    const head = hist ? ['state', 'container', 'last 30 min', 'uptime 1h / 24h / 7d', 'restarts 24h', 'last recovery'] : ['state', 'container'];
    main.append(h('section', { class: 'group' }, h('h2', {}, name), h('table', {}, h('thead', {}, h('tr', {}, head.map((x) => h('th', {}, x)))), h('tbody', {}, rows))));
  }
}

// Containers whose inspect the engine fails: not watched, so not in the table. Without a token on healer
// /api/status gives their short id and since when only, not the engine's error (SECURITY.md).
function unreadable(list) {
  const section = document.getElementById('unreadable');
  section.hidden = list.length === 0;
  const rows = list.map((u) =>
    h(
      'tr',
      { 'data-id': u.id.slice(0, 12) },
      h('td', { 'data-label': 'container' }, h('code', {}, u.id.slice(0, 12))),
      h('td', { 'data-label': 'unreadable since' }, u.since ? h('time', { datetime: u.since }, clock(Date.parse(u.since))) : '—'),
      h('td', { 'data-label': "engine's error", class: 'error' }, u.error !== undefined ? `${printable(u.error)}${u.attempts ? ` (${u.attempts} attempts)` : ''}` : 'shown with server.token_file set only'),
    ),
  );
  section.querySelector('tbody').replaceChildren(...rows);
}

function chart(series, transitions, now) {
  const W = 720, H = 180, P = 28;
  const from = now - 24 * 3600e3;
  const x = (t) => P + ((t - from) / (now - from)) * (W - P - 6);
  const max = Math.max(10, ...series.buckets.map((b) => b.latencyAvg));
  const y = (v) => H - P - (v / max) * (H - 2 * P);
  const svg = h('svg:svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'average probe latency per minute, failures and restarts' });
  svg.append(h('svg:text', { x: 2, y: P - 8 }, `${Math.round(max)} ms`), h('svg:text', { x: 2, y: H - P + 4 }, '0'), h('svg:text', { x: P, y: H - 6 }, '24 h ago'), h('svg:text', { x: W - 40, y: H - 6 }, 'now'));
  const pts = series.buckets.filter((b) => b.ok + b.fail > 0).map((b) => `${x(b.t).toFixed(1)},${y(b.latencyAvg).toFixed(1)}`);
  if (pts.length > 0) svg.append(h('svg:polyline', { points: pts.join(' ') }));
  for (const b of series.buckets) if (b.fail > 0) svg.append(h('svg:rect', { class: 'bad', x: x(b.t) - 1, y: H - P + 2, width: 3, height: 6 }, h('svg:title', {}, `${clock(b.t)}: ${b.fail} failed`)));
  for (const t of transitions) {
    if (t.event !== 'restarted' && t.event !== 'started') continue;
    svg.append(h('svg:line', { class: 'restart', x1: x(t.at), x2: x(t.at), y1: P - 4, y2: H - P }, h('svg:title', {}, `${clock(t.at)}: ${t.event}`)));
  }
  return svg;
}

async function renderDetail() {
  const m = /^#\/c\/(.+)$/.exec(location.hash);
  const detail = document.getElementById('detail');
  document.getElementById('groups').hidden = !!m;
  detail.hidden = !m;
  if (!m) return;
  const name = decodeURIComponent(m[1]);
  const c = status && status.containers.find((x) => x.name === name);
  document.getElementById('detail-name').textContent = name;
  document.getElementById('detail-state').replaceChildren(stateCell(c && c.state), c && c.pending ? ` · ${c.pending}` : '');
  if (needLogin || histOff) {
    document.getElementById('chart').replaceChildren();
    document.getElementById('timeline').replaceChildren(...(histOff ? [h('li', {}, 'This healer keeps no history (history is off): no chart or timeline.')] : []));
    return;
  }
  const r = await get(`/api/history?container=${encodeURIComponent(name)}&since=${Date.now() - 24 * 3600e3}`);
  if (!r.data) return;
  document.getElementById('chart').replaceChildren(chart(r.data.series, r.data.transitions, r.data.now));
  const items = r.data.transitions.map((t) => {
    // Without a token on healer the reason, exit code and OOM flag are not served (SECURITY.md).
    const extra = [t.recoveryMs != null ? `recovered in ${dur(t.recoveryMs)}` : null, t.exitCode != null ? `exit code ${t.exitCode}${t.oom ? ', OOM-killed' : ''}` : null].filter(Boolean).join(', ');
    const text = [t.reason, extra ? `(${extra})` : ''].filter(Boolean).join(' ');
    return h('li', { 'data-event': t.event }, h('time', { datetime: new Date(t.at).toISOString() }, clock(t.at)), h('strong', {}, t.container ? t.event.replace(/_/g, ' ') : `host: ${t.event.replace(/_/g, ' ')}`), text ? ` — ${text}` : '');
  });
  document.getElementById('timeline').replaceChildren(...(items.length ? items : [h('li', {}, 'No transitions in the last 24 hours.')]));
}

async function refresh() {
  try {
    const s = await get('/api/status');
    status = s.data;
    needLogin = !!s.unauthorised;
    hist = undefined;
    histOff = false;
    if (status) {
      const r = await get('/api/history');
      if (r.unauthorised) needLogin = true;
      else if (r.off) histOff = true;
      else hist = r.data;
    }
    document.getElementById('login').hidden = !needLogin;
    document.getElementById('history-off').hidden = !histOff;
    banner();
    if (status) table(status.containers);
    unreadable((status && status.unreadable) || []);
    await renderDetail();
  } catch (err) {
    const el = document.getElementById('banner');
    el.className = 'bad';
    el.textContent = `✖ healer does not answer (${err.message}); retrying`;
  }
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('login-failed').hidden = !/login=failed/.test(location.search);
  document.getElementById('failing-only').addEventListener('change', () => status && table(status.containers));
  document.getElementById('groups').addEventListener('click', (e) => {
    const name = e.target instanceof Element && e.target.getAttribute('data-open');
    if (name) location.hash = `#/c/${encodeURIComponent(name)}`;
  });
  document.getElementById('back').addEventListener('click', (e) => {
    e.preventDefault();
    location.hash = '';
  });
  window.addEventListener('hashchange', () => void renderDetail());
  void refresh();
  setInterval(() => void refresh(), POLL_MS);
});
