/**
 * @module The web UI's only stylesheet and script, served from /ui/static/ (the
 * Content-Security-Policy allows no inline script or style). Kept as strings so the
 * build ships them without a copy step; the URL carries a content hash, so browsers
 * may cache them forever.
 */
import { createHash } from 'node:crypto';

const CSS = `
:root{--bg:#f6f7f9;--fg:#1b1f24;--muted:#5b6470;--line:#d5dae0;--card:#fff;--accent:#1f5fbf;
--p1:#b3261e;--p2:#d9480f;--p3:#b08800;--p4:#2f7d32;--p5:#5b6470;--ok:#2f7d32;--warn:#b08800;--bad:#b3261e;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:15px;line-height:1.45;color:var(--fg);background:var(--bg)}
*{box-sizing:border-box}body{margin:0}
a{color:var(--accent)}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #7aa7ff;outline-offset:1px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:9}
header.top{display:flex;align-items:center;gap:1.5rem;background:#16202c;color:#fff;padding:.5rem 1rem;flex-wrap:wrap}
header.top a{color:#dbe6f5;text-decoration:none;padding:.25rem .4rem;border-radius:4px}
header.top a[aria-current=page]{background:#2d3f56;color:#fff}
header.top .brand{font-weight:700;color:#fff}header.top nav{display:flex;gap:.25rem;flex-wrap:wrap}
header.top .who{margin-left:auto;display:flex;gap:.5rem;align-items:center;font-size:.9em}
header.top .who button{background:transparent;color:#dbe6f5;border:1px solid #4a5d75}
main{padding:1rem;max-width:1400px;margin:0 auto}
h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.2rem 0 .5rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.8rem 1rem;margin-bottom:1rem}
table{border-collapse:collapse;width:100%;background:var(--card)}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.85em;color:var(--muted);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.muted{color:var(--muted)}.small{font-size:.85em}
.badge{display:inline-block;padding:0 .45em;border-radius:3px;font-size:.85em;font-weight:600;color:#fff;background:var(--p5);white-space:nowrap}
.badge.P1{background:var(--p1)}.badge.P2{background:var(--p2)}.badge.P3{background:var(--p3)}.badge.P4{background:var(--p4)}.badge.P5{background:var(--p5)}
.status{display:inline-block;padding:0 .45em;border-radius:3px;font-size:.85em;border:1px solid var(--line);background:#eef1f4;white-space:nowrap}
.status.open{background:#fde8e6;border-color:#f2b8b3}.status.acknowledged{background:#fff4d6;border-color:#ecd58b}
.status.on_hold{background:#e8eefb;border-color:#b9c9ee}.status.resolved,.status.closed{background:#e5f3e6;border-color:#b7dab9}
.status.up{background:#e5f3e6}.status.down{background:#fde8e6}
tr.P1 td:first-child{border-left:4px solid var(--p1)}tr.P2 td:first-child{border-left:4px solid var(--p2)}
tr.P3 td:first-child{border-left:4px solid var(--p3)}tr.P4 td:first-child{border-left:4px solid var(--p4)}tr.P5 td:first-child{border-left:4px solid var(--p5)}
.counts{display:flex;gap:.5rem;flex-wrap:wrap;margin:0 0 1rem;padding:0;list-style:none}
.counts li{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.3rem .7rem}
.counts strong{font-size:1.2em;margin-left:.3em}
form.filters{display:flex;gap:.75rem;align-items:end;flex-wrap:wrap;margin-bottom:1rem}
label{display:flex;flex-direction:column;font-size:.85em;color:var(--muted);gap:.15rem}
input,select,textarea,button{font:inherit;padding:.3rem .5rem;border:1px solid #aab3be;border-radius:4px;background:#fff;color:var(--fg)}
button{cursor:pointer;background:#e9edf2}button.primary{background:var(--accent);color:#fff;border-color:var(--accent)}
button.danger{background:#fbe9e7;border-color:#e4a49d}
a.button{display:inline-block;padding:.2rem .6rem;border:1px solid #aab3be;border-radius:4px;background:#e9edf2;color:var(--fg);text-decoration:none}
pre.postmortem{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.8rem;margin-top:.6rem}
.actions{display:flex;gap:.5rem;flex-wrap:wrap;align-items:end}.actions form{display:flex;gap:.4rem;align-items:end}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.flash{padding:.5rem .8rem;border-radius:4px;margin-bottom:1rem;border:1px solid}
.flash.error{background:#fde8e6;border-color:#f2b8b3}.flash.ok{background:#e5f3e6;border-color:#b7dab9}
.ok{color:var(--ok)}.warn{color:var(--warn)}.bad{color:var(--bad)}
.outlook{font-size:1.1em;margin:.2em 0 .6em}.scroll{overflow-x:auto;max-width:100%}
ol.timeline{list-style:none;padding:0;margin:0}ol.timeline li{padding:.3rem 0;border-bottom:1px dashed var(--line)}
ol.timeline .kind{font-size:.8em;color:var(--muted);margin-right:.4em}
figure{margin:0 0 1rem}svg.chart{display:block;max-width:100%;height:auto}svg.chart text{font-size:11px;fill:var(--muted)}svg.chart text.node{fill:var(--fg);font-size:12px}
.signin{max-width:420px;margin:10vh auto}.signin form{display:flex;flex-direction:column;gap:.8rem}

.pbadge{display:inline-block;padding:0 .45em;border-radius:3px;font-size:.85em;font-weight:600;border:1px solid}
.pbadge.frequent{background:#fde8e6;border-color:#e4a49d;color:#8c1d18}.pbadge.new{background:#e8eefb;border-color:#9db7e0;color:#1f4f99}
.pbadge.rare{background:#eef1f4;border-color:#c3cad2;color:#46505c}
.status.known_error,.status.promoted{background:#e8eefb;border-color:#b9c9ee}.status.dismissed{background:#eef1f4}
.status.new{background:#fff4d6;border-color:#ecd58b}.status.under_review{background:#e8eefb;border-color:#b9c9ee}
section.known-error{border-left:4px solid #1f5fbf}
code.term{background:#eef1f4;border-radius:3px;padding:0 .3em;margin-right:.3em}
form.stack{display:flex;flex-direction:column;gap:.5rem}form.stack textarea{width:100%}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
pre{white-space:pre-wrap;word-break:break-word;margin:0}
ul.tree{list-style:none;padding-left:1.1rem;margin:.2rem 0}ul.tree>li{border-left:1px solid var(--line);padding-left:.6rem;margin:.15rem 0}
details>summary{cursor:pointer}
.periods{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center;margin-bottom:1rem}
form.filters label.grow{flex:1 1 16rem}form.filters label.grow input{width:100%}
.scroll{overflow-x:auto;max-width:100%}
td.wrap{overflow-wrap:anywhere}
.links{display:flex;gap:.6rem;flex-wrap:wrap;margin-top:.15rem}
dl.labels{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:0 .6rem;margin:.1rem 0 .4rem;font-size:.85em}
dl.labels dt{color:var(--muted)}dl.labels dd{margin:0;overflow-wrap:anywhere;white-space:pre-wrap}
.actions.assign{margin-top:.6rem}
textarea{max-width:100%}
/* Phones: nothing may widen the page; a table too wide for the screen scrolls inside itself. */
@media (max-width:700px){
main{padding:.6rem}
header.top{gap:.5rem;padding:.4rem .6rem}header.top .who{margin-left:0}
table{display:block;overflow-x:auto;max-width:100%}
.grid{grid-template-columns:minmax(0,1fr)}
dl.facts{grid-template-columns:max-content minmax(0,1fr)}dl.facts dd{overflow-wrap:anywhere}
.card{padding:.6rem}
input,select,textarea{max-width:100%}
label{min-width:0}
h1{overflow-wrap:anywhere}
}
`;

const JS = `
"use strict";
(function () {
  var region = document.querySelector("[data-live]");
  if (!region) return;
  var every = Number(region.getAttribute("data-interval")) || 5000;
  var status = document.getElementById("live-status");
  // Someone is using the region: typing in one of its fields, or reading an expanded detail.
  function busy() {
    var active = document.activeElement;
    if (active && region.contains(active) && active.matches("input, textarea, select")) return true;
    if (region.querySelector("details[open]")) return true;
    var fields = region.querySelectorAll("input:not([type=hidden]), textarea");
    for (var i = 0; i < fields.length; i++) if (fields[i].value !== fields[i].defaultValue) return true;
    var selects = region.querySelectorAll("select");
    for (var j = 0; j < selects.length; j++) {
      var first = 0;
      for (var k = 0; k < selects[j].options.length; k++) if (selects[j].options[k].defaultSelected) first = k;
      if (selects[j].selectedIndex !== first) return true;
    }
    return false;
  }
  async function refresh() {
    if (document.hidden) return;
    if (busy()) {
      if (status) status.textContent = "Refresh paused while you use this page.";
      return;
    }
    try {
      var res = await fetch(region.getAttribute("data-live"), { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (res.status === 401) { window.location.assign("/ui/sign-in"); return; }
      if (!res.ok) throw new Error("HTTP " + res.status);
      var html = await res.text();
      if (busy()) return;
      region.innerHTML = html;
      if (status) status.textContent = "Updated " + new Date().toLocaleTimeString();
    } catch (e) {
      if (status) status.textContent = "Live refresh paused: " + e.message;
    }
  }
  setInterval(refresh, every);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
`;

function asset(body: string, type: string) {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { body, type, hash };
}

export const STATIC_ASSETS = {
  'app.css': asset(CSS, 'text/css; charset=utf-8'),
  'app.js': asset(JS, 'text/javascript; charset=utf-8'),
} as const;

export type AssetName = keyof typeof STATIC_ASSETS;

export const assetUrl = (name: AssetName) => `/ui/static/${name}?v=${STATIC_ASSETS[name].hash}`;
