/**
 * The dashboard's HTML shell: static, the same for everyone, no data and no inline script or style
 * (the CSP forbids both). Everything it shows is filled in by app.js with textContent.
 */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>ClawGuard · Operator dashboard</title>
<link rel="icon" href="/ui/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/ui/app.css">
<script src="/ui/app.js" defer></script>
</head>
<body>
<section id="login" class="login" hidden>
  <form id="login-form" class="login-card" autocomplete="off">
    <div class="brand brand-dark"><span class="logo" aria-hidden="true"></span><span>ClawGuard</span></div>
    <h1>Operator dashboard</h1>
    <p class="muted">Sign in with a ClawGuard <strong>admin key</strong>. It is checked once and never stored in the browser: a session cookie (HttpOnly) takes its place.</p>
    <label for="login-key">Admin key</label>
    <input id="login-key" name="key" type="password" placeholder="cg_…" required autocomplete="off" spellcheck="false">
    <button id="login-submit" type="submit" class="btn primary wide">Sign in</button>
    <p id="login-error" class="error" role="alert"></p>
  </form>
</section>
<div id="app" class="app" hidden>
  <nav class="sidebar">
    <div class="brand"><span class="logo" aria-hidden="true"></span><span>ClawGuard</span></div>
    <button class="nav" data-view="overview">Overview</button>
    <button class="nav" data-view="events">Security events</button>
    <button class="nav" data-view="approvals">Approvals <span id="badge-approvals" class="badge" hidden></span></button>
    <button class="nav" data-view="keys">Keys</button>
    <button class="nav" data-view="lockdowns">Lockdowns <span id="badge-lockdowns" class="badge danger" hidden></span></button>
    <button class="nav" data-view="audit">Audit chain</button>
    <div class="sidebar-foot">
      <div class="muted small">Signed in as</div>
      <div id="whoami" class="whoami"></div>
      <div id="session-expiry" class="muted small"></div>
      <button id="logout" class="btn ghost wide">Sign out</button>
    </div>
  </nav>
  <main class="main">
    <header class="topbar">
      <h1 id="view-title">Overview</h1>
      <div class="topbar-right"><span id="live" class="live">live</span><span id="updated" class="muted small"></span></div>
    </header>
    <div id="toast" class="toast" role="status" hidden></div>
    <section id="view-overview" class="view"></section>
    <section id="view-events" class="view" hidden></section>
    <section id="view-approvals" class="view" hidden></section>
    <section id="view-keys" class="view" hidden></section>
    <section id="view-lockdowns" class="view" hidden></section>
    <section id="view-audit" class="view" hidden></section>
  </main>
</div>
</body>
</html>
`;

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path d="M16 2 4 7v8c0 7.2 5.1 13.4 12 15 6.9-1.6 12-7.8 12-15V7L16 2z" fill="#4f46e5"/><path d="M11 16.5l3.5 3.5 6.5-7" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round"/></svg>
`;
