/**
 * The dashboard page's script (a constant: run data reaches the page only as JSON over the
 * socket, and text is set with textContent). It keeps the points per chart, creates a uPlot chart
 * the first time one of its keys appears, and redraws on every update. Clicking a chart opens that
 * step's samples in the trace view below; `#step=N` in the address does the same (the trace page
 * links back to it). `window.__dashboard` exposes the charts' data for tests and the bench.
 */
export const DASHBOARD_SCRIPT = `
(function () {
  var specs = JSON.parse(document.getElementById('specs').textContent);
  var token = new URLSearchParams(location.search).get('token') || '';
  var q = token ? '?token=' + encodeURIComponent(token) : '';
  var points = { metrics: [], evals: [] };
  var charts = {};
  var state = { charts: charts, updates: 0, drawn: {}, drawnAt: {}, steps: 0 };
  window.__dashboard = state;
  var colors = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563'];

  function keysOf(spec) {
    var rows = points[spec.source], seen = {}, out = [];
    spec.keys.forEach(function (k) { if (rows.some(function (r) { return k in r; })) { seen[k] = 1; out.push(k); } });
    (spec.prefixes || []).forEach(function (p) {
      rows.forEach(function (r) { Object.keys(r).forEach(function (k) { if (!seen[k] && k.indexOf(p) === 0) { seen[k] = 1; out.push(k); } }); });
    });
    return out;
  }

  function dataOf(spec, keys) {
    var rows = points[spec.source].slice().sort(function (a, b) { return a.step - b.step; });
    var data = [rows.map(function (r) { return r.step; })];
    keys.forEach(function (k) { data.push(rows.map(function (r) { return k in r ? r[k] : null; })); });
    return data;
  }

  function openStep(step) {
    if (typeof step !== 'number' || step < 0) return;
    var frame = document.getElementById('trace');
    frame.src = '/step/' + step + q;
    frame.hidden = false;
    document.getElementById('tracehead').textContent = 'step ' + step + ' samples';
    document.getElementById('tracelink').href = '/step/' + step + q;
    if (location.hash !== '#step=' + step) history.replaceState(null, '', '#step=' + step);
  }

  function makeChart(spec, keys, data) {
    var box = document.createElement('section');
    box.className = 'chart';
    box.dataset.chart = spec.id;
    var h = document.createElement('h2');
    h.textContent = spec.title;
    box.appendChild(h);
    document.getElementById('charts').appendChild(box);
    var series = [{ label: 'step' }].concat(keys.map(function (k, i) {
      return { label: k, stroke: colors[i % colors.length], width: 1.5, spanGaps: true, points: { size: 4 } };
    }));
    var opts = {
      width: Math.max(320, box.clientWidth - 4), height: 190, series: series,
      scales: { x: { time: false } }, legend: { live: true },
      hooks: { draw: [function () { state.drawn[spec.id] = Date.now(); }] },
    };
    var u = new uPlot(opts, data, box);
    u.over.addEventListener('click', function () {
      var i = u.cursor.idx;
      if (spec.source === 'metrics' && i != null) openStep(u.data[0][i]);
    });
    return { spec: spec, keys: keys, plot: u, box: box };
  }

  function redraw() {
    specs.forEach(function (spec) {
      var keys = keysOf(spec);
      if (keys.length === 0) return;
      var data = dataOf(spec, keys);
      var c = charts[spec.id];
      if (c && c.keys.join() !== keys.join()) { c.plot.destroy(); c.box.remove(); c = undefined; }
      if (!c) charts[spec.id] = makeChart(spec, keys, data);
      else c.plot.setData(data);
    });
    var last = points.metrics.length ? points.metrics[points.metrics.length - 1] : undefined;
    state.steps = points.metrics.length;
    state.lastStep = last ? last.step : undefined;
    document.getElementById('steps').textContent = String(points.metrics.length);
    document.getElementById('laststep').textContent = last ? String(last.step) : 'none yet';
  }

  function connect() {
    var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws' + q);
    var status = document.getElementById('conn');
    ws.onopen = function () { status.textContent = 'live'; };
    ws.onclose = function () { status.textContent = 'disconnected, retrying'; setTimeout(connect, 1000); };
    ws.onmessage = function (ev) {
      var msg = JSON.parse(ev.data);
      if (msg.type === 'problem') { var p = document.getElementById('problems'); p.hidden = false; p.textContent = msg.line; return; }
      if (msg.type !== 'update') return;
      if (msg.reset) { points.metrics = []; points.evals = []; }
      points.metrics = points.metrics.concat(msg.metrics);
      points.evals = points.evals.concat(msg.evals);
      state.updates++;
      redraw();
      // uPlot draws in a microtask queued by setData; this one runs after it: the step is on screen.
      var stepsNow = msg.metrics.map(function (r) { return r.step; });
      Promise.resolve().then(function () { var t = Date.now(); stepsNow.forEach(function (s) { state.drawnAt[s] = t; }); });
    };
  }

  var m = /^#step=(\\d+)$/.exec(location.hash);
  if (m) openStep(Number(m[1]));
  connect();
})();
`;
