/**
 * The dashboard's client (served as /ui/app.js): plain ES2020, no framework, no dependency. Every
 * value from the server is written with textContent or an attribute, never as HTML; charts are SVG
 * elements built here. Kept as a string so `tsc` ships it in dist/ with no extra build step.
 * (No template literals inside: this file is one.)
 */
/**
 * Text the dashboard shows passes `reveal` first: characters a reader cannot see or that reorder what
 * is seen (bidi overrides and isolates, zero-width and other invisible format characters, Unicode tag
 * characters, variation selectors, control characters other than tab and newline) are written as a
 * visible `\u{…}` escape. Without it an agent's tool-call arguments can show an approver one command
 * and run another ("Trojan Source": `rm -rf ~` hidden behind U+202E, or tag characters that carry an
 * instruction nobody sees). Kept apart so the tests can run it on hostile strings.
 */
export const REVEAL_JS = String.raw`var INVISIBLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u2028-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFFB]|\uDB40[\uDC00-\uDDEF]/g;
function reveal(value) {
  return String(value === undefined || value === null ? '' : value).replace(INVISIBLE, function (m) { return '\\u{' + m.codePointAt(0).toString(16).toUpperCase() + '}'; });
}
`;

export const APP_JS = String.raw`(function () {
'use strict';
` + REVEAL_JS + String.raw`
function setText(node, value) { node.textContent = reveal(value); }
var S = { csrf: null, admin: null, view: 'overview', lastEvent: 0, events: [], roles: [], timer: null, busy: false, newKey: null, filters: { category: '', guard: '', principal: '' }, confirm: null, verify: null, expiresAt: null };
var TITLES = { overview: 'Overview', events: 'Security events', approvals: 'Approvals', keys: 'Keys', lockdowns: 'Lockdowns', audit: 'Audit chain' };
var PALETTE = ['#4f46e5', '#dc2626', '#d97706', '#0891b2', '#16a34a', '#9333ea', '#db2777', '#475569', '#65a30d', '#0d9488'];
var SVGNS = 'http://www.w3.org/2000/svg';

function $(id) { return document.getElementById(id); }
function el(tag, props, children) {
  var node = document.createElement(tag);
  if (props) {
    for (var k in props) {
      if (!Object.prototype.hasOwnProperty.call(props, k) || props[k] === undefined || props[k] === null) continue;
      if (k === 'text') setText(node, props[k]);
      else if (k === 'cls') node.className = props[k];
      else if (k === 'onclick') node.addEventListener('click', props[k]);
      else if (k === 'onchange') node.addEventListener('change', props[k]);
      else if (k === 'oninput') node.addEventListener('input', props[k]);
      else if (k === 'onsubmit') node.addEventListener('submit', props[k]);
      else if (k === 'hidden') node.hidden = Boolean(props[k]);
      else if (k === 'disabled') node.disabled = Boolean(props[k]);
      else if (k === 'value') node.value = props[k];
      else node.setAttribute(k, k === 'title' || k === 'aria-label' ? reveal(props[k]) : String(props[k]));
    }
  }
  append(node, children);
  return node;
}
function append(node, children) {
  if (children === undefined || children === null) return;
  if (!Array.isArray(children)) children = [children];
  for (var i = 0; i < children.length; i++) {
    var c = children[i];
    if (c === undefined || c === null || c === false) continue;
    node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(reveal(c)) : c);
  }
}
function svg(tag, attrs, children) {
  var node = document.createElementNS(SVGNS, tag);
  for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) node.setAttribute(k, String(attrs[k]));
  if (children) for (var i = 0; i < children.length; i++) if (children[i]) node.appendChild(children[i]);
  return node;
}
function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
function fmtTime(t) { var d = new Date(t); return isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }); }
function fmtDate(t) { if (!t) return '—'; var d = new Date(t); return isNaN(d.getTime()) ? '—' : d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }); }
function fmtHm(t) { return new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }); }
function fmtNum(n) { n = Number(n) || 0; if (n >= 1e6) return (n / 1e6).toFixed(1) + 'M'; if (n >= 1e4) return (n / 1e3).toFixed(1) + 'k'; return String(Math.round(n)); }
function short(id) { return id ? String(id).slice(0, 8) : ''; }
function pill(text, cls) { return el('span', { cls: 'pill ' + (cls || ''), text: text }); }

function toast(message, isError) {
  var t = $('toast');
  setText(t, message);
  t.className = 'toast' + (isError ? ' error' : '');
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(function () { t.hidden = true; }, 4000);
}

// background: a timed poll, not the operator's doing. The server then reads the session without
// keeping it alive, so an unattended dashboard is signed out after the idle time.
function api(method, path, body, background) {
  var headers = { accept: 'application/json' };
  if (background && method === 'GET') headers['x-clawguard-background'] = '1';
  var init = { method: method, credentials: 'same-origin', headers: headers, cache: 'no-store' };
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    if (S.csrf) headers['x-clawguard-csrf'] = S.csrf;
    init.body = JSON.stringify(body || {});
  }
  return fetch(path, init).then(function (res) {
    return res.text().then(function (text) {
      var data = null;
      try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
      if (res.status === 401 && path !== '/ui/api/login') {
        showLogin('Your session ended. Sign in again.');
        throw new Error('session ended');
      }
      if (!res.ok) throw new Error((data && data.error && data.error.message) || ('request failed (' + res.status + ')'));
      return data;
    });
  });
}

// ---------- login / session ----------
function showLogin(message) {
  stopPolling();
  S.csrf = null; S.admin = null; S.newKey = null;
  $('app').hidden = true;
  $('login').hidden = false;
  setText($('login-error'), message || '');
  $('login-key').value = '';
  $('login-key').focus();
}
function showApp(session) {
  S.csrf = session.csrf; S.admin = session.admin; S.roles = session.roles || S.roles || []; S.expiresAt = session.expiresAt;
  $('login').hidden = true;
  $('app').hidden = false;
  setText($('whoami'), session.admin);
  S.lastEvent = 0; S.events = [];
  var hash = (location.hash || '').replace('#', '');
  show(TITLES[hash] ? hash : 'overview');
  startPolling();
  tickExpiry();
}
function login(ev) {
  ev.preventDefault();
  var key = $('login-key').value;
  $('login-submit').disabled = true;
  setText($('login-error'), '');
  api('POST', '/ui/api/login', { key: key }).then(function () {
    $('login-key').value = '';
    return api('GET', '/ui/api/session');
  }).then(showApp).catch(function (e) {
    setText($('login-error'), e.message);
  }).then(function () { $('login-submit').disabled = false; });
}
function logout() {
  api('POST', '/ui/api/logout', {}).catch(function () {}).then(function () { showLogin('Signed out.'); });
}

// ---------- navigation and polling ----------
function show(view) {
  S.view = view;
  S.confirm = null;
  var navs = document.querySelectorAll('.nav');
  for (var i = 0; i < navs.length; i++) navs[i].classList.toggle('active', navs[i].getAttribute('data-view') === view);
  for (var v in TITLES) $('view-' + v).hidden = v !== view;
  setText($('view-title'), TITLES[view]);
  if (location.hash !== '#' + view) history.replaceState(null, '', '#' + view);
  refresh(true);
}
function startPolling() { stopPolling(); S.timer = setInterval(function () { refresh(false); }, 2000); }
function stopPolling() { if (S.timer) clearInterval(S.timer); S.timer = null; }
function setLive(ok) {
  $('live').className = 'live' + (ok ? '' : ' off');
  setText($('live'), ok ? 'live' : 'offline');
  if (ok) setText($('updated'), 'updated ' + fmtTime(Date.now()));
}
function refresh(force) {
  if (!S.csrf || (S.busy && !force)) return;
  // Polls count as activity only when the operator did something (a key, a click, a scroll) since the last one.
  var bg = !force && !S.active;
  S.active = false;
  function get(path) { return api('GET', path, null, bg); }
  // Do not redraw a form the operator is typing in.
  var active = document.activeElement;
  if (!force && active && (active.tagName === 'INPUT' || active.tagName === 'SELECT') && !$('view-' + S.view).hidden && $('view-' + S.view).contains(active)) { pollEvents(bg).then(function () { setLive(true); }, function () { setLive(false); }); return; }
  S.busy = true;
  // A newer refresh wins: answers of an older one that arrive late are not drawn over it.
  var gen = S.gen = (S.gen || 0) + 1;
  function latest(fn) { return function (r) { if (gen === S.gen && v === S.view) fn(r); }; }
  var work = [pollEvents(bg), get('/ui/api/overview').then(badges)];
  var v = S.view;
  if (v === 'overview') work.push(Promise.all([get('/ui/api/series'), get('/ui/api/overview'), get('/ui/api/audit')]).then(latest(function (r) { renderOverview(r[0], r[1], r[2]); })));
  if (v === 'events') work.push(Promise.resolve().then(latest(renderEvents)));
  if (v === 'approvals') work.push(get('/ui/api/approvals').then(latest(renderApprovals)));
  if (v === 'keys') work.push(Promise.all([get('/ui/api/keys'), get('/ui/api/lockdowns')]).then(latest(function (r) { renderKeys(r[0].keys, r[1].lockdowns); })));
  if (v === 'lockdowns') work.push(get('/ui/api/lockdowns').then(latest(function (r) { renderLockdowns(r.lockdowns); })));
  if (v === 'audit') work.push(get('/ui/api/audit').then(latest(renderAudit)));
  Promise.all(work).then(function () { setLive(true); }, function (e) { setLive(false); if (e && e.message !== 'session ended') console.warn(e); }).then(function () { S.busy = false; });
}
function pollEvents(background) {
  return api('GET', '/ui/api/events?after=' + S.lastEvent + '&limit=500', null, background).then(function (r) {
    if (r.last < S.lastEvent) { S.events = []; S.lastEvent = 0; } // the gateway restarted
    // Two polls may overlap (a forced refresh during a timed one): keep each event once.
    var seen = S.events.length ? S.events[S.events.length - 1].id : 0;
    for (var i = 0; i < r.events.length; i++) if (r.events[i].id > seen) { S.events.push(r.events[i]); seen = r.events[i].id; }
    if (S.events.length > 2000) S.events = S.events.slice(S.events.length - 2000);
    S.lastEvent = Math.max(S.lastEvent, r.last);
    if (S.view === 'events' && r.events.length) renderEvents();
  });
}
function badges(o) {
  var a = $('badge-approvals'); setText(a, o.pendingApprovals); a.hidden = !o.pendingApprovals;
  var l = $('badge-lockdowns'); setText(l, o.lockdowns); l.hidden = !o.lockdowns;
}

// Two-step confirmation for destructive buttons: the first click arms, the second acts.
function confirmButton(label, armedLabel, cls, id, action) {
  var armed = S.confirm === id;
  return el('button', {
    cls: 'btn small ' + (armed ? 'confirm' : cls), text: armed ? armedLabel : label, 'data-action': id,
    onclick: function () {
      if (S.confirm !== id) { S.confirm = id; refresh(true); setTimeout(function () { if (S.confirm === id) { S.confirm = null; refresh(true); } }, 5000); return; }
      S.confirm = null;
      action();
    },
  });
}

// ---------- events ----------
function summary(e) {
  var f = e.fields || {};
  switch (e.type) {
    case 'decision': return (f.action || '') + ' ' + (f.direction || '') + (f.guards && f.guards.length ? ' · guards: ' + f.guards.join(', ') : '') + (f.findingTypes && f.findingTypes.length ? ' · ' + f.findingTypes.join(', ') : '') + (f.failures ? ' · ' + f.failures + ' guard failure(s)' : '');
    case 'finding': return f.guard + ' · ' + f.findingType + ' (' + Number(f.score || 0).toFixed(2) + ') → ' + f.action + (f.reason ? ' · ' + f.reason : '');
    case 'auth': return (f.outcome === 'failure' ? 'refused on ' : 'signed in on ') + f.surface + (f.reason ? ' · ' + f.reason : '') + (f.keyId ? ' · key ' + short(f.keyId) : '') + (f.clientIp ? ' · from ' + f.clientIp : '');
    case 'approval': return 'approval ' + short(f.approvalId) + ' ' + f.status + (f.actor ? ' by ' + f.actor : '') + (f.reason ? ' · ' + f.reason : '');
    case 'admin': return f.actor + ' · ' + f.action + (f.target ? ' ' + f.target : '') + (f.outcome === 'failure' ? ' (failed)' : '');
    case 'tool.call': return 'tool call ' + f.tool + ' ' + (f.verdict === 'block' ? 'refused' : f.verdict);
    case 'stream.intervention': return 'stream ' + f.intervention + (f.channel ? ' (' + f.channel + ')' : '');
    case 'guard.failure': return 'guard ' + f.guard + (f.timedOut ? ' timed out' : ' failed') + (f.failOpen ? ' (fail-open)' : ' (fail-closed)') + (f.error ? ' · ' + f.error : '');
    case 'error': return f.where + ': ' + f.message + (f.status ? ' (' + f.status + ')' : '');
    case 'system': return 'system ' + f.action;
    default: return e.type;
  }
}
var CATEGORY_LABEL = { blocked: 'blocked', finding: 'finding', auth: 'auth', approval: 'approval', admin: 'admin', other: 'other' };
function eventTable(list, withRequest, compact) {
  if (!list.length) return el('div', { cls: 'empty', text: 'No events yet.' });
  var rows = [];
  for (var i = list.length - 1; i >= 0; i--) {
    var e = list[i];
    rows.push(el('tr', { 'data-category': e.category, 'data-type': e.type }, [
      el('td', { cls: 'nowrap mono', text: fmtTime(e.time) }),
      el('td', null, pill(CATEGORY_LABEL[e.category] || e.category, 'cat-' + e.category)),
      compact ? null : el('td', { cls: 'nowrap mono', text: e.type }),
      compact ? null : el('td', { cls: 'nowrap mono', text: e.principal ? short(e.principal) : '—', title: e.principal || '' }),
      el('td', { cls: 'summary', text: summary(e) }),
      withRequest ? el('td', { cls: 'nowrap mono muted', text: e.requestId ? short(e.requestId) : '', title: e.requestId || '' }) : null,
    ]));
  }
  return el('table', { cls: 'events' }, [
    el('thead', null, el('tr', null, [el('th', { text: 'Time' }), el('th', { text: 'Category' }), compact ? null : el('th', { text: 'Event' }), compact ? null : el('th', { text: 'Principal' }), el('th', { text: 'Details' }), withRequest ? el('th', { text: 'Request' }) : null])),
    el('tbody', null, rows),
  ]);
}
function filtered() {
  var f = S.filters;
  return S.events.filter(function (e) {
    if (f.category && e.category !== f.category) return false;
    if (f.principal && (e.principal || '').indexOf(f.principal) === -1) return false;
    if (f.guard) {
      var g = e.fields.guard || e.fields.guards;
      if (!(g === f.guard || (Array.isArray(g) && g.indexOf(f.guard) !== -1))) return false;
    }
    return true;
  });
}
function renderEvents() {
  var root = clear($('view-events'));
  var guards = {};
  for (var i = 0; i < S.events.length; i++) {
    var g = S.events[i].fields.guard || S.events[i].fields.guards;
    if (typeof g === 'string') guards[g] = true; else if (Array.isArray(g)) for (var j = 0; j < g.length; j++) guards[g[j]] = true;
  }
  var catSel = el('select', { id: 'filter-category', onchange: function (ev) { S.filters.category = ev.target.value; renderEvents(); } }, [
    el('option', { value: '', text: 'All categories' }),
    el('option', { value: 'blocked', text: 'Blocked requests' }),
    el('option', { value: 'finding', text: 'Findings' }),
    el('option', { value: 'auth', text: 'Authentication' }),
    el('option', { value: 'approval', text: 'Approvals' }),
    el('option', { value: 'admin', text: 'Admin actions' }),
    el('option', { value: 'other', text: 'Other' }),
  ]);
  catSel.value = S.filters.category;
  var guardSel = el('select', { id: 'filter-guard', onchange: function (ev) { S.filters.guard = ev.target.value; renderEvents(); } }, [el('option', { value: '', text: 'All guards' })].concat(Object.keys(guards).sort().map(function (name) { return el('option', { value: name, text: name }); })));
  guardSel.value = S.filters.guard;
  var who = el('input', { id: 'filter-principal', placeholder: 'principal id', value: S.filters.principal, onchange: function (ev) { S.filters.principal = ev.target.value.trim(); renderEvents(); } });
  var list = filtered();
  append(root, [
    el('div', { cls: 'panel' }, el('div', { cls: 'filters' }, [
      el('div', { cls: 'field' }, [el('label', { for: 'filter-category', text: 'Category' }), catSel]),
      el('div', { cls: 'field' }, [el('label', { for: 'filter-guard', text: 'Guard' }), guardSel]),
      el('div', { cls: 'field' }, [el('label', { for: 'filter-principal', text: 'Principal' }), who]),
      el('div', { cls: 'muted small', text: list.length + ' of ' + S.events.length + ' events · metadata only, never prompt text' }),
    ])),
    el('div', { cls: 'panel' }, eventTable(list.slice(-300), true)),
  ]);
}

// ---------- charts (inline SVG) ----------
function niceMax(v) { if (v <= 4) return 4; var p = Math.pow(10, Math.floor(Math.log10(v))); var m = v / p; return (m <= 2 ? 2 : m <= 5 ? 5 : 10) * p; }
function chartFrame(max, buckets, W, H, P) {
  var nodes = [];
  for (var i = 0; i <= 4; i++) {
    var y = P.t + (H - P.t - P.b) * i / 4;
    nodes.push(svg('line', { x1: P.l, x2: W - P.r, y1: y, y2: y, class: 'grid-line' }));
    var label = svg('text', { x: P.l - 6, y: y + 3, 'text-anchor': 'end', class: 'axis-label' }); setText(label, fmtNum(max * (4 - i) / 4)); nodes.push(label);
  }
  var marks = [0, Math.floor((buckets.length - 1) / 2), buckets.length - 1];
  for (var k = 0; k < marks.length; k++) {
    var b = buckets[marks[k]]; if (!b) continue;
    var x = P.l + (W - P.l - P.r) * (marks[k] + 0.5) / buckets.length;
    var t = svg('text', { x: x, y: H - 4, 'text-anchor': k === 0 ? 'start' : k === 2 ? 'end' : 'middle', class: 'axis-label' }); setText(t, k === 2 ? 'now' : fmtHm(b.t)); nodes.push(t);
  }
  return nodes;
}
function lineChart(id, buckets, lines) {
  var W = 420, H = 170, P = { l: 34, r: 8, t: 8, b: 20 };
  var max = 0;
  for (var i = 0; i < lines.length; i++) for (var j = 0; j < buckets.length; j++) max = Math.max(max, lines[i].value(buckets[j]));
  max = niceMax(max);
  var nodes = chartFrame(max, buckets, W, H, P);
  var iw = W - P.l - P.r, ih = H - P.t - P.b;
  for (var li = 0; li < lines.length; li++) {
    var pts = [];
    for (var bi = 0; bi < buckets.length; bi++) pts.push([P.l + iw * (bi + 0.5) / buckets.length, P.t + ih * (1 - lines[li].value(buckets[bi]) / max)]);
    var d = pts.map(function (p, n) { return (n ? 'L' : 'M') + p[0].toFixed(1) + ' ' + p[1].toFixed(1); }).join(' ');
    var area = d + ' L' + pts[pts.length - 1][0].toFixed(1) + ' ' + (P.t + ih) + ' L' + pts[0][0].toFixed(1) + ' ' + (P.t + ih) + ' Z';
    nodes.push(svg('path', { d: area, fill: lines[li].color, 'fill-opacity': 0.08, stroke: 'none' }));
    nodes.push(svg('path', { d: d, fill: 'none', stroke: lines[li].color, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
  }
  return svg('svg', { id: id, class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': lines.map(function (l) { return l.name; }).join(', ') }, nodes);
}
function stackedBars(id, buckets, keys, colors) {
  var W = 420, H = 170, P = { l: 34, r: 8, t: 8, b: 20 };
  var max = 0;
  for (var j = 0; j < buckets.length; j++) { var sum = 0; for (var k in buckets[j].byGuard) sum += buckets[j].byGuard[k]; max = Math.max(max, sum); }
  max = niceMax(max);
  var nodes = chartFrame(max, buckets, W, H, P);
  var iw = W - P.l - P.r, ih = H - P.t - P.b, bw = iw / buckets.length;
  for (var bi = 0; bi < buckets.length; bi++) {
    var y = P.t + ih;
    for (var ki = 0; ki < keys.length; ki++) {
      var v = buckets[bi].byGuard[keys[ki]] || 0; if (!v) continue;
      var h = ih * v / max; y -= h;
      var r = svg('rect', { x: (P.l + bw * bi + bw * 0.15).toFixed(1), y: y.toFixed(1), width: Math.max(1, bw * 0.7).toFixed(1), height: h.toFixed(1), fill: colors[keys[ki]], rx: 1 });
      var title = svg('title', {}); setText(title, keys[ki] + ': ' + v + ' at ' + fmtTime(buckets[bi].t)); r.appendChild(title);
      nodes.push(r);
    }
  }
  return svg('svg', { id: id, class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'blocks by guard' }, nodes);
}
function legend(items) {
  return el('div', { cls: 'legend' }, items.map(function (it) { var sw = el('span', { cls: 'swatch' }); sw.style.background = it.color; return el('span', null, [sw, it.name]); }));
}
function tile(label, value, cls, id) { return el('div', { cls: 'tile ' + (cls || ''), id: id }, [el('div', { cls: 'label', text: label }), el('div', { cls: 'value', text: value })]); }

function renderOverview(series, overview, audit) {
  var root = clear($('view-overview'));
  var windowMin = S.windowMin || 15;
  var b = series.buckets.slice(-Math.max(1, Math.round(windowMin * 60000 / series.bucketMs))), req = 0, blk = 0, tin = 0, tout = 0, guards = {};
  for (var i = 0; i < b.length; i++) { req += b[i].requests; blk += b[i].blocked; tin += b[i].tokensIn; tout += b[i].tokensOut; for (var g in b[i].byGuard) guards[g] = (guards[g] || 0) + b[i].byGuard[g]; }
  var minutes = Math.round(b.length * series.bucketMs / 60000);
  var range = el('div', { cls: 'range', role: 'group', 'aria-label': 'time window' }, [5, 15, 30].map(function (m) {
    return el('button', { cls: 'btn small' + (m === windowMin ? ' primary' : ''), text: m + ' min', 'data-window': m, onclick: function () { S.windowMin = m; refresh(true); } });
  }));
  append(root, el('div', { cls: 'range-row' }, [el('span', { cls: 'muted small', text: 'Window' }), range]));
  append(root, el('div', { cls: 'grid tiles' }, [
    tile('Requests · ' + minutes + ' min', fmtNum(req), '', 'tile-requests'),
    tile('Blocked · ' + minutes + ' min', fmtNum(blk), blk ? 'alert' : '', 'tile-blocked'),
    tile('Tokens · ' + minutes + ' min', fmtNum(tin + tout), '', 'tile-tokens'),
    tile('Pending approvals', String(overview.pendingApprovals), overview.pendingApprovals ? 'warn' : '', 'tile-approvals'),
    tile('Active keys', String(overview.activeKeys), '', 'tile-keys'),
    tile('Lockdowns', String(overview.lockdowns), overview.lockdowns ? 'alert' : '', 'tile-lockdowns'),
  ]));
  var keys = Object.keys(guards).sort(function (x, y) { return guards[y] - guards[x]; });
  var colors = {}; for (var k = 0; k < keys.length; k++) colors[keys[k]] = PALETTE[k % PALETTE.length];
  var bucketS = Math.round(series.bucketMs / 1000);
  append(root, el('div', { cls: 'grid charts' }, [
    el('div', { cls: 'panel' }, [el('div', { cls: 'panel-head' }, [el('h2', { text: 'Requests' }), el('span', { cls: 'muted small', text: 'per ' + bucketS + ' s' })]), lineChart('chart-requests', b, [{ name: 'requests', color: '#4f46e5', value: function (x) { return x.requests; } }, { name: 'blocked', color: '#dc2626', value: function (x) { return x.blocked; } }]), legend([{ name: 'requests', color: '#4f46e5' }, { name: 'blocked', color: '#dc2626' }])]),
    el('div', { cls: 'panel' }, [el('div', { cls: 'panel-head' }, [el('h2', { text: 'Blocks by guard' }), el('span', { cls: 'muted small', text: 'per ' + bucketS + ' s' })]), stackedBars('chart-blocks', b, keys, colors), keys.length ? legend(keys.map(function (name) { return { name: name + ' (' + guards[name] + ')', color: colors[name] }; })) : el('div', { cls: 'legend', text: 'No blocks in this window.' })]),
    el('div', { cls: 'panel' }, [el('div', { cls: 'panel-head' }, [el('h2', { text: 'Tokens' }), el('span', { cls: 'muted small', text: 'per ' + bucketS + ' s' })]), lineChart('chart-tokens', b, [{ name: 'in', color: '#0891b2', value: function (x) { return x.tokensIn; } }, { name: 'out', color: '#9333ea', value: function (x) { return x.tokensOut; } }]), legend([{ name: 'prompt (in) ' + fmtNum(tin), color: '#0891b2' }, { name: 'completion (out) ' + fmtNum(tout), color: '#9333ea' }])]),
  ]));
  var recent = S.events.filter(function (e) { return e.category !== 'other'; }).slice(-8);
  append(root, el('div', { cls: 'grid two' }, [
    el('div', { cls: 'panel' }, [el('div', { cls: 'panel-head' }, [el('h2', { text: 'Latest security events' }), el('button', { cls: 'btn small', text: 'All events', onclick: function () { show('events'); } })]), eventTable(recent, false, true)]),
    el('div', { cls: 'panel' }, [el('div', { cls: 'panel-head' }, [el('h2', { text: 'Audit chain' }), el('button', { cls: 'btn small', text: 'Details', onclick: function () { show('audit'); } })]), auditSummary(audit)]),
  ]));
}

// ---------- approvals ----------
function prettyArgs(text) {
  if (text === null || text === undefined) return '(no arguments: the whole request is held)';
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return String(text); }
}
function decide(id, verb, note) {
  return api('POST', '/ui/api/approvals/' + encodeURIComponent(id) + '/' + verb, note ? { note: note } : {}).then(function () {
    toast(verb === 'approve' ? 'Approved: the held call is released.' : 'Denied: the agent gets a refusal.');
    refresh(true);
  }, function (e) { toast(e.message, true); refresh(true); });
}
function lockScope(scope, reason) {
  return api('POST', '/ui/api/lockdowns', { scope: scope, mode: 'refuse', reason: reason }).then(function () { toast('Locked down: ' + scope); refresh(true); }, function (e) { toast(e.message, true); });
}
function approvalCard(a) {
  var note = el('input', { placeholder: 'note for the audit trail (optional)', 'aria-label': 'note', maxlength: 500 });
  var findings = a.findings && a.findings.length ? el('table', null, [
    el('thead', null, el('tr', null, [el('th', { text: 'Guard' }), el('th', { text: 'Finding' }), el('th', { text: 'Score' }), el('th', { text: 'Action' }), el('th', { text: 'Reason' })])),
    el('tbody', null, a.findings.map(function (f) { return el('tr', null, [el('td', { cls: 'mono', text: f.guard }), el('td', { cls: 'mono', text: f.type }), el('td', { text: Number(f.score || 0).toFixed(2) }), el('td', { text: f.action }), el('td', { text: f.reason || '' })]); })),
  ]) : null;
  return el('article', { cls: 'approval', 'data-approval': a.id }, [
    el('div', { cls: 'approval-head' }, [
      el('div', null, [el('div', { cls: 'approval-title', text: a.toolName ? 'Tool call: ' + a.toolName : 'Whole request held' }), el('div', { cls: 'muted small mono', text: 'approval ' + a.id })]),
      pill('expires ' + fmtTime(a.expiresAt), 'pending'),
    ]),
    el('dl', { cls: 'kv' }, [
      el('dt', { text: 'Principal' }), el('dd', { text: (a.principalName ? a.principalName + ' · ' : '') + a.principal + (a.principalRole ? ' · role ' + a.principalRole : '') + (a.principalTenant ? ' · tenant ' + a.principalTenant : '') }),
      el('dt', { text: 'Request' }), el('dd', { cls: 'mono', text: a.requestId }),
      el('dt', { text: 'Held since' }), el('dd', { text: fmtDate(a.createdAt) }),
      el('dt', { text: 'Why' }), el('dd', null, el('div', { cls: 'chips' }, a.reasons.map(function (r) { return pill(r, 'warn'); }))),
    ]),
    el('div', null, [el('h3', { text: 'Arguments (as redacted by the gateway)' }), el('pre', { cls: 'args', text: prettyArgs(a.arguments) })]),
    findings ? el('div', null, [el('h3', { text: 'Findings on this request' }), findings]) : null,
    el('div', { cls: 'decide' }, [
      note,
      el('button', { cls: 'btn ok', text: 'Approve', 'data-action': 'approve', onclick: function (ev) { ev.target.disabled = true; decide(a.id, 'approve', note.value.trim()); } }),
      el('button', { cls: 'btn danger', text: 'Deny', 'data-action': 'deny', onclick: function (ev) { ev.target.disabled = true; decide(a.id, 'deny', note.value.trim()); } }),
      a.toolName ? confirmButton('Lock tool', 'Lock ' + a.toolName + '?', '', 'locktool:' + a.id, function () { lockScope('tool:' + a.toolName, 'from approval ' + a.id); }) : null,
      confirmButton('Lock principal', 'Lock principal?', '', 'lockprincipal:' + a.id, function () { lockScope('principal:' + a.principal, 'from approval ' + a.id); }),
    ]),
  ]);
}
function renderApprovals(r) {
  var root = clear($('view-approvals'));
  append(root, el('div', { cls: 'panel-head' }, [el('h2', { text: r.pending.length ? r.pending.length + ' call(s) waiting for a decision' : 'Nothing is waiting for a decision' }), el('span', { cls: 'muted small', text: 'Silence denies: a held call is refused when its time is up.' })]));
  if (!r.pending.length) append(root, el('div', { cls: 'panel empty', text: 'No held tool calls. When the policy says review, the call waits here.' }));
  for (var i = 0; i < r.pending.length; i++) append(root, approvalCard(r.pending[i]));
  append(root, el('div', { cls: 'panel' }, [el('h2', { text: 'Recent decisions' }), r.recent.length ? el('table', null, [
    el('thead', null, el('tr', null, [el('th', { text: 'Decided' }), el('th', { text: 'Status' }), el('th', { text: 'Tool' }), el('th', { text: 'Principal' }), el('th', { text: 'By' }), el('th', { text: 'Note' })])),
    el('tbody', null, r.recent.map(function (a) { return el('tr', null, [el('td', { cls: 'nowrap', text: fmtDate(a.decidedAt || a.expiresAt) }), el('td', null, pill(a.status, a.status)), el('td', { cls: 'mono', text: a.toolName || '(request)' }), el('td', { text: a.principalName || short(a.principal) }), el('td', { text: a.decidedBy || '—' }), el('td', { text: a.note || '' })]); })),
  ]) : el('div', { cls: 'empty', text: 'No decisions yet.' })]));
}

// ---------- keys ----------
function keyForm() {
  var name = el('input', { id: 'key-name', placeholder: 'e.g. billing-agent', required: 'required', maxlength: 200 });
  var kind = el('select', { id: 'key-kind' }, [el('option', { value: 'client', text: 'client' }), el('option', { value: 'admin', text: 'admin' })]);
  var role = el('select', { id: 'key-role' }, [el('option', { value: '', text: 'default role' })].concat(S.roles.map(function (r) { return el('option', { value: r, text: r }); })));
  var tenant = el('input', { id: 'key-tenant', placeholder: 'optional', maxlength: 200 });
  var days = el('input', { id: 'key-days', type: 'number', min: 1, max: 3650, placeholder: 'never' });
  return el('form', { cls: 'panel', id: 'key-form', onsubmit: function (ev) {
    ev.preventDefault();
    var body = { name: name.value.trim(), kind: kind.value };
    if (role.value) body.role = role.value;
    if (tenant.value.trim()) body.tenant = tenant.value.trim();
    if (days.value) body.expiresInDays = Number(days.value);
    api('POST', '/ui/api/keys', body).then(function (k) { S.newKey = { key: k.key, name: k.name, id: k.id, rotated: false }; name.value = ''; tenant.value = ''; days.value = ''; document.activeElement.blur(); refresh(true); }, function (e) { toast(e.message, true); });
  } }, [
    el('h2', { text: 'Create a key' }),
    el('div', { cls: 'form-row' }, [
      el('div', { cls: 'field grow' }, [el('label', { for: 'key-name', text: 'Name' }), name]),
      el('div', { cls: 'field' }, [el('label', { for: 'key-kind', text: 'Kind' }), kind]),
      el('div', { cls: 'field' }, [el('label', { for: 'key-role', text: 'Role' }), role]),
      el('div', { cls: 'field' }, [el('label', { for: 'key-tenant', text: 'Tenant' }), tenant]),
      el('div', { cls: 'field' }, [el('label', { for: 'key-days', text: 'Expires in days' }), days]),
      el('button', { cls: 'btn primary', type: 'submit', id: 'key-create', text: 'Create key' }),
    ]),
  ]);
}
function newKeyBanner() {
  if (!S.newKey) return null;
  var k = S.newKey;
  return el('div', { cls: 'secret-once', id: 'new-key' }, [
    el('strong', { text: (k.rotated ? 'Replacement key for ' : 'New key ') + k.name + ': copy it now, it is shown once and only its hash is stored.' }),
    el('div', { cls: 'key', id: 'new-key-value', text: k.key }),
    el('div', null, [
      el('button', { cls: 'btn small', text: 'Copy', onclick: function () { if (navigator.clipboard) navigator.clipboard.writeText(k.key).then(function () { toast('Copied.'); }, function () { toast('Copy failed: select the key instead.', true); }); } }),
      el('button', { cls: 'btn small', text: 'Done, hide it', id: 'new-key-dismiss', onclick: function () { S.newKey = null; refresh(true); } }),
    ]),
  ]);
}
function keyStatus(k) {
  if (k.revokedAt) return pill('revoked', 'revoked');
  if (k.expiresAt && new Date(k.expiresAt).getTime() <= Date.now()) return pill('expired', 'expired');
  return pill('active', 'active');
}
function renderKeys(keys, lockdowns) {
  var root = clear($('view-keys'));
  var locked = {}; for (var i = 0; i < lockdowns.length; i++) locked[lockdowns[i].scope] = true;
  append(root, [newKeyBanner(), keyForm()]);
  var sorted = keys.slice().sort(function (a, b) { return (a.revokedAt ? 1 : 0) - (b.revokedAt ? 1 : 0) || String(b.createdAt).localeCompare(String(a.createdAt)); });
  append(root, el('div', { cls: 'panel table-wrap' }, [el('h2', { text: 'Keys' }), el('table', { id: 'keys-table' }, [
    el('thead', null, el('tr', null, [el('th', { text: 'Name' }), el('th', { text: 'Id' }), el('th', { text: 'Kind' }), el('th', { text: 'Role / tenant' }), el('th', { text: 'Created' }), el('th', { text: 'Last used' }), el('th', { text: 'Expires' }), el('th', { text: 'Status' }), el('th', { text: '' })])),
    el('tbody', null, sorted.map(function (k) {
      var live = !k.revokedAt;
      var scope = 'principal:' + k.id;
      return el('tr', { 'data-key': k.id, 'data-name': k.name }, [
        el('td', { cls: 'nowrap strong', text: k.name }), el('td', { cls: 'mono nowrap', text: k.prefix || short(k.id), title: k.id }), el('td', null, pill(k.kind, k.kind === 'admin' ? 'accent' : '')),
        el('td', { text: (k.role || 'default') + (k.tenant ? ' / ' + k.tenant : '') }), el('td', { cls: 'nowrap', text: fmtDate(k.createdAt) }), el('td', { cls: 'nowrap', text: fmtDate(k.lastUsedAt) }), el('td', { cls: 'nowrap', text: k.expiresAt ? fmtDate(k.expiresAt) : 'never' }),
        el('td', null, [keyStatus(k), locked[scope] ? pill('locked', 'danger') : null]),
        el('td', { cls: 'actions' }, live ? [
          el('button', { cls: 'btn small', text: 'Rotate', 'data-action': 'rotate', onclick: function () { api('POST', '/ui/api/keys/' + encodeURIComponent(k.id) + '/rotate', {}).then(function (r) { S.newKey = { key: r.key, name: r.name, id: r.id, rotated: true }; toast('Rotated: the old key is revoked.'); refresh(true); }, function (e) { toast(e.message, true); }); } }),
          k.kind === 'client' && !locked[scope] ? confirmButton('Lock out', 'Lock out?', '', 'lock:' + k.id, function () { lockScope(scope, 'from the keys view'); }) : null,
          confirmButton('Revoke', 'Confirm revoke', '', 'revoke:' + k.id, function () { api('POST', '/ui/api/keys/' + encodeURIComponent(k.id) + '/revoke', {}).then(function () { toast('Revoked: ' + k.name + ' is refused from now on.'); refresh(true); }, function (e) { toast(e.message, true); }); }),
        ] : []),
      ]);
    })),
  ])]));
}

// ---------- lockdowns ----------
function renderLockdowns(list) {
  var root = clear($('view-lockdowns'));
  var kind = el('select', { id: 'lock-kind' }, [el('option', { value: 'principal', text: 'principal' }), el('option', { value: 'tool', text: 'tool' }), el('option', { value: 'tenant', text: 'tenant' }), el('option', { value: 'all', text: 'everything (all)' })]);
  var value = el('input', { id: 'lock-value', placeholder: 'key id, tool name or tenant', maxlength: 200 });
  var mode = el('select', { id: 'lock-mode' }, [el('option', { value: 'refuse', text: 'refuse every request' }), el('option', { value: 'read-only', text: 'read-only (no tool calls)' })]);
  var reason = el('input', { id: 'lock-reason', placeholder: 'why (recorded in the audit trail)', maxlength: 500 });
  kind.addEventListener('change', function () { value.disabled = kind.value === 'all'; });
  append(root, el('form', { cls: 'panel', id: 'lock-form', onsubmit: function (ev) {
    ev.preventDefault();
    var scope = kind.value === 'all' ? 'all' : kind.value + ':' + value.value.trim();
    api('POST', '/ui/api/lockdowns', { scope: scope, mode: mode.value, reason: reason.value.trim() || undefined }).then(function () { toast('Locked down: ' + scope); value.value = ''; reason.value = ''; document.activeElement.blur(); refresh(true); }, function (e) { toast(e.message, true); });
  } }, [
    el('h2', { text: 'Engage a lockdown' }),
    el('p', { cls: 'muted small', text: 'From the next request on, on every replica. A tool lockdown refuses that tool\u2019s calls for everyone.' }),
    el('div', { cls: 'form-row' }, [
      el('div', { cls: 'field' }, [el('label', { for: 'lock-kind', text: 'Scope' }), kind]),
      el('div', { cls: 'field grow' }, [el('label', { for: 'lock-value', text: 'Which' }), value]),
      el('div', { cls: 'field' }, [el('label', { for: 'lock-mode', text: 'Mode' }), mode]),
      el('div', { cls: 'field grow' }, [el('label', { for: 'lock-reason', text: 'Reason' }), reason]),
      el('button', { cls: 'btn danger', type: 'submit', id: 'lock-submit', text: 'Lock down' }),
    ]),
  ]));
  append(root, el('div', { cls: 'panel' }, [el('h2', { text: list.length ? 'Active lockdowns' : 'No lockdown is active' }), list.length ? el('table', { id: 'lockdowns-table' }, [
    el('thead', null, el('tr', null, [el('th', { text: 'Scope' }), el('th', { text: 'Mode' }), el('th', { text: 'Reason' }), el('th', { text: 'Since' }), el('th', { text: 'By' }), el('th', { text: '' })])),
    el('tbody', null, list.map(function (l) {
      return el('tr', { 'data-scope': l.scope }, [el('td', { cls: 'mono', text: l.scope }), el('td', null, pill(l.mode, l.mode === 'refuse' ? 'danger' : 'warn')), el('td', { text: l.reason || '' }), el('td', { cls: 'nowrap', text: fmtDate(l.createdAt) }), el('td', { text: l.createdBy }),
        el('td', { cls: 'actions' }, el('button', { cls: 'btn small', text: 'Unlock', 'data-action': 'unlock', onclick: function () { api('POST', '/ui/api/lockdowns/unlock', { scope: l.scope }).then(function () { toast('Unlocked: ' + l.scope); refresh(true); }, function (e) { toast(e.message, true); }); } }))]);
    })),
  ]) : el('div', { cls: 'empty', text: 'Traffic flows normally.' })]));
}

// ---------- audit ----------
function auditSummary(a) {
  if (!a || !a.enabled) return el('div', { cls: 'empty', text: 'Auditing is off in this gateway\u2019s config.' });
  var v = a.lastVerify;
  var state = a.storeDown ? ['bad', 'Audit store unreachable: events are spooling'] : v ? (v.ok ? ['ok', 'Chain verified intact at ' + fmtTime(v.at)] : ['bad', 'Chain BROKEN: ' + (v.problem ? v.problem.message : 'see details')]) : ['warn', 'Chain not verified from the dashboard yet'];
  return el('div', null, [
    el('div', { cls: 'status-line audit-state' }, [el('span', { cls: 'dot ' + state[0] }), state[1]]),
    el('dl', { cls: 'kv' }, [
      el('dt', { text: 'Last sequence' }), el('dd', { cls: 'mono audit-last-seq', text: String(a.lastSeq) }),
      el('dt', { text: 'Records' }), el('dd', { text: a.extent ? fmtNum(a.extent.count) + (a.extent.first ? ' (from ' + a.extent.first + ')' : '') : '—' }),
      el('dt', { text: 'Last checkpoint' }), el('dd', { text: a.lastCheckpoint ? '#' + a.lastCheckpoint.seq + ' · ' + a.lastCheckpoint.kind + ' · ' + fmtDate(a.lastCheckpoint.time) : (a.signing ? 'none yet' : 'signing is off') }),
      el('dt', { text: 'Queue' }), el('dd', { text: a.queued + ' queued · ' + a.dropped + ' dropped · ' + a.store }),
    ]),
  ]);
}
function renderAudit(a) {
  var root = clear($('view-audit'));
  append(root, el('div', { cls: 'panel' }, [el('div', { cls: 'panel-head' }, [el('h2', { text: 'Chain status' }), a.enabled ? el('button', { cls: 'btn primary', id: 'verify-now', text: S.verify ? 'Verifying…' : 'Verify now', disabled: Boolean(S.verify), onclick: function () {
    S.verify = api('POST', '/ui/api/audit/verify', {}).then(function (r) { toast(r.ok ? 'Verified ' + r.records + ' records in ' + r.elapsedMs + ' ms: intact.' : 'Audit chain broken at ' + (r.problem ? r.problem.seq : '?'), !r.ok); }, function (e) { toast(e.message, true); }).then(function () { S.verify = null; refresh(true); });
    refresh(true);
  } }) : null]), auditSummary(a)]));
  if (a.enabled && a.lastVerify) {
    var v = a.lastVerify;
    append(root, el('div', { cls: 'panel', id: 'verify-result' }, [el('h2', { text: 'Last verification' }), el('dl', { cls: 'kv' }, [
      el('dt', { text: 'Result' }), el('dd', null, pill(v.ok ? 'intact' : 'broken', v.ok ? 'ok' : 'danger')),
      el('dt', { text: 'Records checked' }), el('dd', { text: String(v.records) + (v.firstSeq ? ' (' + v.firstSeq + '…' + v.lastSeq + ')' : '') }),
      el('dt', { text: 'Checkpoints' }), el('dd', { text: v.checkpoints + (v.signaturesChecked ? ' signatures verified' : ' (signatures not checked: no public key)') }),
      el('dt', { text: 'Unsigned tail' }), el('dd', { text: v.unsignedTail + ' record(s) after the last checkpoint' }),
      el('dt', { text: 'Time' }), el('dd', { text: v.elapsedMs + ' ms at ' + fmtDate(v.at) }),
      v.problem ? el('dt', { text: 'Problem' }) : null, v.problem ? el('dd', { text: v.problem.kind + ' at #' + v.problem.seq + ': ' + v.problem.message }) : null,
    ])]));
  }
  append(root, el('p', { cls: 'muted small', text: 'Verify re-hashes every record and checks the signed checkpoints; the CLI equivalent is clawguard audit verify.' }));
}

// ---------- boot ----------
function tickExpiry() {
  if (!S.expiresAt) return;
  api('GET', '/ui/api/session', null, true).then(function (s) { S.expiresAt = s.expiresAt; setText($('session-expiry'), 'session until ' + fmtTime(s.expiresAt) + ' if idle'); }, function () {});
}
document.addEventListener('DOMContentLoaded', function () {
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  var activity = ['keydown', 'pointerdown', 'wheel', 'touchstart'];
  for (var a = 0; a < activity.length; a++) document.addEventListener(activity[a], function () { S.active = true; }, { passive: true, capture: true });
  var navs = document.querySelectorAll('.nav');
  for (var i = 0; i < navs.length; i++) navs[i].addEventListener('click', function (ev) { show(ev.currentTarget.getAttribute('data-view')); });
  setInterval(tickExpiry, 60000);
  fetch('/ui/api/session', { credentials: 'same-origin', cache: 'no-store' }).then(function (res) {
    if (!res.ok) throw new Error('no session');
    return res.json();
  }).then(showApp, function () { showLogin(''); });
});
})();
`;
