namespace MeshDev.Daemon.Dashboard;

/// <summary>
/// The dashboard page: one HTML document, its CSS and script inline, no framework and nothing fetched from elsewhere
/// (the daemon serves everything; the machine may be offline). The script listens to <c>/dashboard/events</c> and redraws
/// the services, the call graph (SVG, a layered layout computed here) and the recent requests from each snapshot. Text from
/// the mesh (names, paths, errors) only ever goes into text nodes and attributes, never parsed as markup.
/// <c>{{nonce}}</c> is replaced per response (see the page's Content-Security-Policy).
/// </summary>
internal static class DashboardPage
{
    public const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MeshDev dashboard</title>
<style nonce="{{nonce}}">
  :root { --ready: #1a7f37; --starting: #9a6700; --stopping: #9a6700; --stopped: #6e7781; --failed: #cf222e; --external: #0969da;
          --border: #d0d7de; --muted: #57606a; --bg: #f6f8fa; --edge: #8c959f; --hot: #0969da; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #1f2328; background: #fff; }
  header { display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; padding: 12px 20px; border-bottom: 1px solid var(--border); background: var(--bg); }
  header h1 { margin: 0; font-size: 18px; }
  header .meta { color: var(--muted); font-size: 13px; }
  #live { margin-left: auto; font-size: 13px; color: var(--muted); }
  #live::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; background: var(--stopped); }
  #live.on::before { background: var(--ready); }
  main { padding: 8px 20px 24px; display: grid; gap: 8px; }
  h2 { font-size: 15px; margin: 14px 0 6px; }
  .panel { border: 1px solid var(--border); border-radius: 6px; overflow: auto; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--border); white-space: nowrap; }
  th { background: var(--bg); font-weight: 600; color: var(--muted); }
  tbody tr:last-child td { border-bottom: none; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  td.error { white-space: normal; color: var(--failed); max-width: 420px; }
  td.path { font-family: ui-monospace, "DejaVu Sans Mono", monospace; max-width: 420px; overflow: hidden; text-overflow: ellipsis; }
  .badge { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-size: 12px; font-weight: 600; }
  .s-ready { background: var(--ready); } .s-starting { background: var(--starting); } .s-stopping { background: var(--stopping); }
  .s-stopped { background: var(--stopped); } .s-failed { background: var(--failed); } .s-external { background: var(--external); }
  .st-ok { color: var(--ready); } .st-warn { color: var(--starting); } .st-err { color: var(--failed); }
  .empty { color: var(--muted); padding: 10px; }
  #graph-panel { padding: 8px; }
  svg text { font-family: inherit; }
  .node rect { fill: #fff; stroke-width: 2; }
  .node .name { font-size: 14px; font-weight: 600; fill: #1f2328; }
  .node .sub { font-size: 11px; fill: var(--muted); }
  .node.st-ready rect { stroke: var(--ready); } .node.st-starting rect, .node.st-stopping rect { stroke: var(--starting); }
  .node.st-stopped rect { stroke: var(--stopped); } .node.st-failed rect { stroke: var(--failed); }
  .node.st-external rect { stroke: var(--external); }
  .node.caller rect { stroke: var(--external); stroke-dasharray: 5 4; fill: var(--bg); }
  .edge path { fill: none; stroke: var(--edge); }
  .edge .label rect { fill: #fff; stroke: var(--border); }
  .edge .label text { font-size: 11px; font-weight: 600; fill: #1f2328; }
  .edge.new path, .edge.busy path { animation: pulse 2s ease-out; }
  @keyframes pulse { from { stroke: var(--hot); } to { stroke: var(--edge); } }
  #arrowhead path { fill: var(--edge); }
</style>
</head>
<body>
<header>
  <h1>MeshDev</h1>
  <span class="meta" id="mesh"></span>
  <span id="live">connecting…</span>
</header>
<main>
  <section>
    <h2>Call graph <span class="meta" id="graph-note"></span></h2>
    <div class="panel" id="graph-panel"><svg id="graph" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="observed call graph"></svg></div>
  </section>
  <section>
    <h2>Services</h2>
    <div class="panel">
      <table id="services">
        <thead><tr><th>Service</th><th>State</th><th>Runtime</th><th>Endpoint</th><th class="num">Mesh port</th><th class="num">Launches</th><th class="num">In flight</th><th class="num" title="how long the oldest request in flight has been open">Oldest</th><th class="num">Requests</th><th>Last error</th></tr></thead>
        <tbody></tbody>
      </table>
    </div>
  </section>
  <section>
    <h2>Recent requests</h2>
    <div class="panel">
      <table id="requests">
        <thead><tr><th>Time</th><th>Caller</th><th>Service</th><th>Method</th><th>Path</th><th class="num">Status</th><th class="num">Duration</th></tr></thead>
        <tbody></tbody>
      </table>
    </div>
  </section>
</main>
<script nonce="{{nonce}}">
'use strict';
const SVG = 'http://www.w3.org/2000/svg';
const EXTERNAL = 'external';
const NODE_W = 156, NODE_H = 46, COL_GAP = 120, ROW_GAP = 30, PAD = 24;
let renders = 0;
let previousCounts = new Map();

// Elements are built with text nodes only: names, paths and errors come from the mesh and are never markup.
function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
function s(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
function time(iso) {
  const d = new Date(iso);
  const pad = (n, w) => String(n).padStart(w || 2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// As `meshdev status` shows it: 850ms, 12.3s, 4m05s, 2h03m.
function age(ms) {
  const pad = n => String(n).padStart(2, '0');
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60000) return `${Math.floor(ms / 1000)}.${Math.floor(ms / 100) % 10}s`;
  if (ms < 3600000) return `${Math.floor(ms / 60000)}m${pad(Math.floor(ms / 1000) % 60)}s`;
  return `${Math.floor(ms / 3600000)}h${pad(Math.floor(ms / 60000) % 60)}m`;
}

function renderMesh(mesh) {
  document.getElementById('mesh').textContent =
    `${mesh.manifest} · pid ${mesh.pid} · shared port 127.0.0.1:${mesh.httpPort} · xDS 127.0.0.1:${mesh.xdsPort}`;
}

function renderServices(services) {
  const rows = services.map(svc => h('tr', { 'data-service': svc.name, 'data-state': svc.state },
    h('td', null, h('strong', null, svc.name)),
    h('td', null, h('span', { class: `badge s-${svc.state}` }, svc.state)),
    h('td', null, svc.runtime),
    h('td', null, svc.endpoint || '–'),
    h('td', { class: 'num' }, svc.meshPort),
    h('td', { class: 'num' }, svc.launches),
    h('td', { class: 'num' }, svc.inFlight),
    h('td', { class: 'num', 'data-oldest-ms': svc.oldestInFlightMs }, svc.oldestInFlightMs == null ? '–' : age(svc.oldestInFlightMs)),
    h('td', { class: 'num' }, svc.requests),
    h('td', { class: svc.lastError ? 'error' : '' }, svc.lastError || '–')));
  document.querySelector('#services tbody').replaceChildren(...rows);
}

function renderRequests(recent, services) {
  const body = document.querySelector('#requests tbody');
  if (recent.length === 0) {
    const first = services[0];
    const hint = first ? ` — e.g. curl http://127.0.0.1:${first.meshPort}/ calls ${first.name} (launching it)` : '';
    body.replaceChildren(h('tr', null, h('td', { colspan: 7, class: 'empty' }, `No requests through the mesh yet${hint}.`)));
    return;
  }
  body.replaceChildren(...recent.map(r => {
    const status = r.method === 'TCP' ? '–' : r.status;
    const statusClass = r.status >= 500 || r.status === 499 ? 'st-err' : r.status >= 400 ? 'st-warn' : 'st-ok';
    return h('tr', { 'data-caller': r.caller, 'data-service': r.service },
      h('td', null, time(r.at)), h('td', null, r.caller), h('td', null, r.service), h('td', null, r.method),
      h('td', { class: 'path', title: r.path }, r.path || '–'),
      h('td', { class: `num ${statusClass}` }, status),
      h('td', { class: 'num' }, `${r.durationMs < 10 ? r.durationMs.toFixed(1) : Math.round(r.durationMs)} ms`));
  }));
}

// A layered layout, left to right: the external caller first, every other node one column right of its furthest caller
// (longest path; edges that close a cycle are left out of that and drawn below), ordered within a column by the average
// row of its callers.
function layout(nodes, edges) {
  const order = new Map(nodes.map((n, i) => [n, i]));
  const out = new Map(nodes.map(n => [n, []]));
  for (const e of edges) if (e.from !== e.to && out.has(e.from) && order.has(e.to)) out.get(e.from).push(e.to);
  const seen = new Map(), back = new Set();
  const visit = n => {
    seen.set(n, 1);
    for (const m of out.get(n)) {
      if (seen.get(m) === 1) back.add(`${n}\n${m}`); else if (!seen.has(m)) visit(m);
    }
    seen.set(n, 2);
  };
  for (const n of nodes) if (!seen.has(n)) visit(n);
  const forward = edges.filter(e => e.from !== e.to && order.has(e.from) && order.has(e.to) && !back.has(`${e.from}\n${e.to}`));
  const layer = new Map(nodes.map(n => [n, n === EXTERNAL ? 0 : 1]));
  for (let round = 0; round < nodes.length; round++) {
    let moved = false;
    for (const e of forward) {
      if (layer.get(e.from) + 1 > layer.get(e.to)) { layer.set(e.to, layer.get(e.from) + 1); moved = true; }
    }
    if (!moved) break;
  }
  const columns = [];
  for (const n of nodes) (columns[layer.get(n)] ||= []).push(n);
  const row = new Map();
  columns.forEach((column, l) => {
    const weight = n => {
      const callers = forward.filter(e => e.to === n && row.has(e.from)).map(e => row.get(e.from));
      return callers.length ? callers.reduce((a, b) => a + b, 0) / callers.length : Number.MAX_SAFE_INTEGER;
    };
    if (l > 0) column.sort((a, b) => weight(a) - weight(b) || order.get(a) - order.get(b));
    column.forEach((n, i) => row.set(n, i));
  });
  const tallest = Math.max(1, ...columns.filter(Boolean).map(c => c.length));
  const pos = new Map();
  columns.forEach((column, l) => {
    const offset = (tallest - column.length) * (NODE_H + ROW_GAP) / 2;
    column.forEach((n, i) => pos.set(n, { x: PAD + l * (NODE_W + COL_GAP), y: PAD + offset + i * (NODE_H + ROW_GAP) }));
  });
  const width = PAD * 2 + columns.length * NODE_W + (columns.length - 1) * COL_GAP;
  const height = PAD * 2 + tallest * NODE_H + (tallest - 1) * ROW_GAP + (back.size || edges.some(e => e.from === e.to) ? 50 : 0);
  return { pos, back, width, height };
}

function renderGraph(graph, services) {
  const state = new Map(services.map(svc => [svc.name, svc]));
  const { pos, back, width, height } = layout(graph.nodes, graph.edges);
  const svg = document.getElementById('graph');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  const defs = s('defs', null, s('marker', { id: 'arrowhead', viewBox: '0 0 10 10', refX: '10', refY: '5', markerUnits: 'userSpaceOnUse', markerWidth: '10', markerHeight: '10', orient: 'auto-start-reverse' },
    s('path', { d: 'M0,0 L10,5 L0,10 z' })));
  const bottom = Math.max(...[...pos.values()].map(p => p.y + NODE_H));
  const counts = new Map();
  const edges = graph.edges.filter(e => pos.has(e.from) && pos.has(e.to)).map(e => {
    const a = pos.get(e.from), b = pos.get(e.to);
    let d, mid;
    if (e.from === e.to) {
      const x = a.x + NODE_W / 2, y = a.y + NODE_H;
      d = `M${x - 20},${y} C${x - 40},${y + 45} ${x + 40},${y + 45} ${x + 20},${y}`;
      mid = { x, y: y + 34 };
    } else if (back.has(`${e.from}\n${e.to}`) || a.x >= b.x) {
      const x1 = a.x + NODE_W / 2, x2 = b.x + NODE_W / 2, below = bottom + 36;
      d = `M${x1},${a.y + NODE_H} C${x1},${below} ${x2},${below} ${x2},${b.y + NODE_H}`;
      mid = { x: (x1 + x2) / 2, y: (a.y + b.y + 2 * NODE_H + 6 * below) / 8 };
    } else {
      const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2, dx = (x2 - x1) / 2;
      d = `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
      mid = { x: (x1 + x2) / 2, y: (y1 + y2) / 2 };
    }
    const key = `${e.from}\n${e.to}`;
    counts.set(key, e.count);
    const before = previousCounts.get(key);
    const cls = before === undefined ? (renders > 0 ? 'edge new' : 'edge') : before !== e.count ? 'edge busy' : 'edge';
    const label = String(e.count);
    const w = 10 + label.length * 7;
    return s('g', { class: cls, 'data-from': e.from, 'data-to': e.to, 'data-count': e.count },
      s('title', null, `${e.from} → ${e.to}: ${e.count} call${e.count === 1 ? '' : 's'}, last at ${time(e.lastSeen)}`),
      s('path', { d, 'stroke-width': (1.5 + Math.min(3.5, Math.log10(e.count) * 1.5)).toFixed(2), 'marker-end': 'url(#arrowhead)' }),
      s('g', { class: 'label' },
        s('rect', { x: mid.x - w / 2, y: mid.y - 9, width: w, height: 18, rx: 9 }),
        s('text', { x: mid.x, y: mid.y + 4, 'text-anchor': 'middle' }, label)));
  });
  previousCounts = counts;
  const nodes = graph.nodes.map(n => {
    const p = pos.get(n), svc = state.get(n);
    const st = n === EXTERNAL ? 'caller' : svc ? svc.state : 'stopped';
    const sub = n === EXTERNAL ? 'curl, browsers, the IDE…' : svc ? `${svc.state} · :${svc.meshPort}` : '';
    return s('g', { class: n === EXTERNAL ? 'node caller' : `node st-${st}`, 'data-node': n, 'data-state': st, transform: `translate(${p.x},${p.y})` },
      s('rect', { width: NODE_W, height: NODE_H, rx: 8 }),
      s('text', { class: 'name', x: 12, y: 19 }, n),
      s('text', { class: 'sub', x: 12, y: 36 }, sub));
  });
  svg.replaceChildren(defs, ...edges, ...nodes);
  const calls = graph.edges.reduce((sum, e) => sum + e.count, 0);
  document.getElementById('graph-note').textContent = graph.edges.length === 0
    ? '— no calls observed yet'
    : `— ${graph.edges.length} edge${graph.edges.length === 1 ? '' : 's'}, ${calls} call${calls === 1 ? '' : 's'}`;
}

function render(snapshot) {
  renderMesh(snapshot.mesh);
  renderServices(snapshot.services);
  renderGraph(snapshot.graph, snapshot.services);
  renderRequests(snapshot.graph.recent, snapshot.services);
  renders++;
  document.body.dataset.renders = String(renders);
  document.getElementById('live').textContent = `live · updated ${time(snapshot.graph.at)}`;
}

function setLive(on, text) {
  const live = document.getElementById('live');
  live.classList.toggle('on', on);
  if (text) live.textContent = text;
}

const events = new EventSource('/dashboard/events');
events.addEventListener('snapshot', e => { setLive(true); render(JSON.parse(e.data)); });
events.addEventListener('open', () => setLive(true));
events.addEventListener('error', () => setLive(false, events.readyState === EventSource.CLOSED
  ? 'disconnected — run meshdev dashboard again'
  : 'reconnecting…'));
</script>
</body>
</html>
""";
}
