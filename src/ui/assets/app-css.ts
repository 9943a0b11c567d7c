/** The dashboard's stylesheet (served as /ui/app.css; the CSP allows no inline style). */
export const APP_CSS = `
:root {
  --bg: #f4f6fb; --panel: #ffffff; --ink: #0f172a; --muted: #64748b; --line: #e2e8f0;
  --side: #0f172a; --side-ink: #cbd5e1; --accent: #4f46e5; --accent-soft: #eef2ff;
  --danger: #dc2626; --danger-soft: #fef2f2; --ok: #16a34a; --ok-soft: #f0fdf4; --warn: #d97706; --warn-soft: #fffbeb;
  --radius: 10px; --shadow: 0 1px 2px rgba(15,23,42,.06), 0 1px 8px rgba(15,23,42,.04);
  font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: var(--bg); font-size: 14px;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; }
h1 { font-size: 20px; margin: 0; font-weight: 650; letter-spacing: -.01em; }
h2 { font-size: 15px; margin: 0 0 12px; font-weight: 650; }
h3 { font-size: 13px; margin: 0 0 8px; font-weight: 650; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.error { color: var(--danger); min-height: 1.2em; margin: 10px 0 0; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }

.login { min-height: 100vh; display: grid; place-items: center; background: linear-gradient(160deg, #0f172a 0%, #1e1b4b 100%); }
.login-card { width: 380px; background: var(--panel); border-radius: 14px; padding: 28px; box-shadow: 0 20px 50px rgba(0,0,0,.35); display: flex; flex-direction: column; gap: 10px; }
.login-card h1 { margin-top: 6px; }
.login-card p { margin: 0 0 6px; line-height: 1.45; }
label { font-size: 12px; font-weight: 600; color: var(--muted); }
input, select { font: inherit; padding: 8px 10px; border: 1px solid var(--line); border-radius: 8px; background: #fff; color: var(--ink); min-width: 0; }
input:focus, select:focus { outline: 2px solid var(--accent-soft); border-color: var(--accent); }

.brand { display: flex; align-items: center; gap: 10px; font-weight: 700; font-size: 17px; color: #fff; padding: 4px 6px 18px; }
.brand-dark { color: var(--ink); padding: 0; }
.logo { width: 26px; height: 26px; background: url(/ui/favicon.svg) center / contain no-repeat; display: inline-block; }

.app { display: grid; grid-template-columns: 232px 1fr; min-height: 100vh; }
.sidebar { background: var(--side); color: var(--side-ink); padding: 18px 12px; display: flex; flex-direction: column; gap: 2px; position: sticky; top: 0; height: 100vh; }
.nav { all: unset; cursor: pointer; padding: 9px 12px; border-radius: 8px; display: flex; align-items: center; justify-content: space-between; color: var(--side-ink); font-weight: 500; }
.nav:hover { background: rgba(255,255,255,.06); color: #fff; }
.nav.active { background: rgba(99,102,241,.22); color: #fff; }
.nav:focus-visible { outline: 2px solid #818cf8; }
.sidebar-foot { margin-top: auto; border-top: 1px solid rgba(255,255,255,.08); padding: 14px 6px 0; display: flex; flex-direction: column; gap: 4px; }
.whoami { color: #fff; font-weight: 600; word-break: break-all; }
.badge { background: var(--accent); color: #fff; border-radius: 999px; padding: 1px 8px; font-size: 11px; font-weight: 700; }
.badge.danger { background: var(--danger); }

.main { padding: 22px 28px 40px; min-width: 0; }
.topbar { display: flex; align-items: center; justify-content: space-between; margin-bottom: 18px; }
.topbar-right { display: flex; gap: 12px; align-items: center; }
.live { font-size: 12px; font-weight: 600; color: var(--ok); display: inline-flex; align-items: center; gap: 6px; }
.live::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--ok); box-shadow: 0 0 0 3px var(--ok-soft); }
.live.off { color: var(--muted); }
.live.off::before { background: var(--muted); box-shadow: none; }
.view { display: flex; flex-direction: column; gap: 16px; }

.panel { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); box-shadow: var(--shadow); padding: 16px 18px; min-width: 0; }
.panel-head { display: flex; align-items: baseline; justify-content: space-between; gap: 12px; margin-bottom: 10px; }
.panel-head h2 { margin: 0; }
.grid { display: grid; gap: 16px; }
.grid.tiles { grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); }
.grid.charts { grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); }
.grid.two { grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); }
.tile { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 14px 16px; box-shadow: var(--shadow); }
.tile .label { font-size: 12px; color: var(--muted); font-weight: 600; }
.tile .value { font-size: 26px; font-weight: 700; margin-top: 4px; letter-spacing: -.02em; }
.tile.alert .value { color: var(--danger); }
.tile.warn .value { color: var(--warn); }

table { width: 100%; border-collapse: collapse; }
th { text-align: left; font-size: 11.5px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 650; padding: 8px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td { padding: 9px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
tr:last-child td { border-bottom: none; }
td.nowrap { white-space: nowrap; }
td.actions { white-space: nowrap; text-align: right; }
.empty { color: var(--muted); padding: 18px 4px; text-align: center; }
.table-wrap { overflow-x: auto; }
td.strong { font-weight: 600; }
.range-row { display: flex; justify-content: flex-end; align-items: center; gap: 10px; margin-bottom: -4px; }
.range .btn + .btn { margin-left: 4px; }

.pill { display: inline-block; border-radius: 999px; padding: 2px 9px; font-size: 11.5px; font-weight: 650; background: #f1f5f9; color: #334155; white-space: nowrap; }
.pill.cat-blocked, .pill.blocked, .pill.danger, .pill.revoked, .pill.denied { background: var(--danger-soft); color: var(--danger); }
.pill.cat-finding, .pill.warn, .pill.pending, .pill.expired { background: var(--warn-soft); color: var(--warn); }
.pill.cat-auth { background: #fdf4ff; color: #a21caf; }
.pill.cat-approval, .pill.accent { background: var(--accent-soft); color: var(--accent); }
.pill.cat-admin { background: #ecfeff; color: #0e7490; }
.pill.ok, .pill.active, .pill.approved { background: var(--ok-soft); color: var(--ok); }
.chips { display: flex; flex-wrap: wrap; gap: 6px; }

.btn { font: inherit; font-weight: 600; border-radius: 8px; padding: 7px 12px; border: 1px solid var(--line); background: #fff; color: var(--ink); cursor: pointer; }
.btn:hover { background: #f8fafc; }
.btn:disabled { opacity: .55; cursor: default; }
.btn.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.btn.primary:hover { background: #4338ca; }
.btn.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
.btn.danger:hover { background: #b91c1c; }
.btn.ok { background: var(--ok); border-color: var(--ok); color: #fff; }
.btn.ghost { background: transparent; border-color: rgba(255,255,255,.18); color: var(--side-ink); }
.btn.small { padding: 4px 9px; font-size: 12.5px; }
.btn.confirm { background: var(--danger); border-color: var(--danger); color: #fff; }
.btn.wide { width: 100%; }
.btn + .btn { margin-left: 6px; }

.form-row { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-end; }
.field { display: flex; flex-direction: column; gap: 4px; }
.field.grow { flex: 1 1 200px; }
.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-end; }

.secret-once { border: 1px solid #c7d2fe; background: var(--accent-soft); border-radius: var(--radius); padding: 14px 16px; display: flex; flex-direction: column; gap: 8px; }
.secret-once .key { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #fff; border: 1px dashed #a5b4fc; padding: 8px 10px; border-radius: 8px; word-break: break-all; user-select: all; }

.approval { border: 1px solid var(--line); border-left: 4px solid var(--warn); border-radius: var(--radius); padding: 14px 16px; background: var(--panel); box-shadow: var(--shadow); display: flex; flex-direction: column; gap: 10px; }
.approval-head { display: flex; justify-content: space-between; align-items: center; gap: 12px; }
.approval-title { font-size: 16px; font-weight: 700; }
.kv { display: grid; grid-template-columns: 130px 1fr; gap: 4px 12px; font-size: 13px; }
.kv dt { color: var(--muted); font-weight: 600; }
.kv dd { margin: 0; word-break: break-word; }
pre.args { margin: 0; background: #0f172a; color: #e2e8f0; padding: 12px 14px; border-radius: 8px; overflow: auto; max-height: 280px; white-space: pre-wrap; word-break: break-word; }
.decide { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.decide input { flex: 1 1 220px; }

.chart { width: 100%; height: auto; display: block; }
.chart .grid-line { stroke: #eef2f7; stroke-width: 1; }
.chart .axis-label { fill: #94a3b8; font-size: 11px; font-family: inherit; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 8px; font-size: 12px; color: var(--muted); }
.legend .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 3px; margin-right: 5px; vertical-align: -1px; }

.status-line { display: flex; align-items: center; gap: 10px; font-size: 15px; font-weight: 650; }
.dot { width: 10px; height: 10px; border-radius: 50%; background: var(--muted); display: inline-block; }
.dot.ok { background: var(--ok); } .dot.bad { background: var(--danger); } .dot.warn { background: var(--warn); }
.toast { position: fixed; right: 24px; bottom: 24px; background: var(--ink); color: #fff; padding: 10px 14px; border-radius: 8px; box-shadow: 0 10px 30px rgba(0,0,0,.25); max-width: 420px; z-index: 10; }
.toast.error { background: var(--danger); color: #fff; }
`;
