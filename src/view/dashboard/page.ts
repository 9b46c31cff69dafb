/**
 * The dashboard's one HTML page: chart grid, a trace frame for a clicked step, and the chart
 * specs as inert JSON. uPlot's script and CSS are served from node_modules by the server, so the
 * page loads nothing from the network.
 */
import { esc } from '../escape.ts';
import { CHARTS } from './charts.ts';
import { DASHBOARD_SCRIPT } from './page-script.ts';

const CSS = `
body{font:13px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#fff;border-bottom:1px solid #d9dde5;padding:8px 14px}
h1{font-size:16px;margin:0 0 2px}header span{margin-right:14px;color:#374151}
#charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:10px;padding:10px 14px}
.chart{background:#fff;border:1px solid #d9dde5;border-radius:6px;padding:6px;cursor:crosshair;min-width:0}
.chart h2{font-size:13px;margin:0 0 4px;font-weight:600}
#problems{color:#b91c1c;padding:4px 14px}
#tracebox{padding:0 14px 14px}#trace{width:100%;height:80vh;border:1px solid #d9dde5;background:#fff}
.hint{color:#6b7280}
`;

/** JSON inside a <script> element: `<` escaped so no text can close the element. */
const inertJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

export function renderDashboardPage(title: string, assetQuery: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${esc(title)} · physarum dashboard</title>`,
    `<link rel="stylesheet" href="/assets/uPlot.min.css${esc(assetQuery)}">`,
    `<style>${CSS}</style>`,
    '</head><body>',
    `<header><h1>${esc(title)}</h1>`,
    '<span>steps <b id="steps">0</b></span><span>last step <b id="laststep">none yet</b></span>',
    '<span>connection <b id="conn">connecting</b></span>',
    '<span class="hint">click a chart at a step to open its samples</span></header>',
    '<div id="problems" hidden></div>',
    '<div id="charts"></div>',
    '<div id="tracebox"><h2 id="tracehead" class="hint">no step open</h2><a id="tracelink" target="_blank">open in its own tab</a>',
    '<iframe id="trace" title="step samples" hidden></iframe></div>',
    `<script type="application/json" id="specs">${inertJson(CHARTS)}</script>`,
    `<script src="/assets/uPlot.iife.min.js${esc(assetQuery)}"></script>`,
    `<script>${DASHBOARD_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
