import { WAREHOUSES_SCRIPT, WAREHOUSES_SECTION } from './warehousesPart';

/**
 * The dashboard page: static HTML and a small script that polls `/admin/dashboard` every second,
 * turns two snapshots into rates, and draws them with uPlot (served by the bridge itself);
 * `/admin/group`, the bridge replicas, the partitions each owns and its sagas; and
 * `/admin/warehouses`, each warehouse and the locations it serves.
 */
export const DASHBOARD_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Flash sale: live</title>
<link rel="stylesheet" href="/dashboard/uplot.css">
<script src="/dashboard/uplot.js"></script>
<style>
  :root { font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
  body { margin: 0 auto; max-width: 1200px; padding: 16px; }
  h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 0 0 8px; }
  .muted { color: #667085; } .bad { color: #b42318; font-weight: 600; } .ok { color: #067647; }
  section { background: #fff; border: 1px solid #e4e7ec; border-radius: 8px; padding: 12px; margin: 12px 0; }
  .tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 8px; }
  .tile { background: #fff; border: 1px solid #e4e7ec; border-radius: 8px; padding: 8px 12px; }
  .tile b { display: block; font-size: 22px; font-variant-numeric: tabular-nums; }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
  th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid #eef0f3; } th:first-child, td:first-child { text-align: left; }
  .charts { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; } @media (max-width: 900px) { .charts { grid-template-columns: 1fr; } }
  tr.self td { font-weight: 600; }
  tr.location td { color: #475467; font-size: 13px; } tr.location td:first-child { padding-left: 24px; }
  form { display: flex; gap: 8px; align-items: center; } input { flex: 1; padding: 6px; font: inherit; }
</style>
</head>
<body>
<h1>Flash sale: live</h1>
<div class="muted" id="status">not connected</div>
<section id="login">
  <form id="key-form">
    <label for="admin-key">Admin key</label>
    <input id="admin-key" type="password" autocomplete="off" placeholder="kept in this tab only">
    <button type="submit">Connect</button>
  </form>
  <div class="bad" id="login-error"></div>
</section>
<div id="live" hidden>
  <div class="tiles">
    <div class="tile">reservations/s<b id="rate-reserved">–</b></div>
    <div class="tile">refusals/s<b id="rate-refused">–</b></div>
    <div class="tile">relay lag (worst, s)<b id="relay-lag">–</b></div>
    <div class="tile">events relayed/s<b id="relay-rate">–</b></div>
    <div class="tile">dead letters<b id="dead-letters">–</b></div>
    <div class="tile">held causal events<b id="causal-held">–</b></div>
    <div class="tile">read model<b id="generation">–</b></div>
  </div>
  <section><h2>SKUs (most recently active), each location beneath its SKU</h2>
    <table id="skus"><thead><tr><th>SKU</th><th>on hand</th><th>reserved</th><th>sold</th><th>available</th><th>reserved/s</th><th>refused/s</th><th>shards</th><th>warehouse</th></tr></thead><tbody></tbody></table>
  </section>
  <div class="charts">
    <section><h2>Hoarding: who holds most now, and what was let expire unbought</h2>
      <table id="hoarding"><thead><tr><th>SKU</th><th>top holder</th><th>units held</th><th>share of on hand</th><th>expired unbought (units)</th><th>of holds ended</th></tr></thead><tbody></tbody></table></section>
    <section><h2>Reserve outcomes per second, by code</h2><div id="chart-outcomes"></div></section>
    <section><h2>Relay: lag (s) and events/s</h2><div id="chart-relay"></div></section>
  </div>
${WAREHOUSES_SECTION}
  <section><h2>Bridge replicas (the saga group)</h2>
    <table id="replicas"><thead><tr><th>replica (admin endpoint)</th><th>partitions</th><th>count</th><th>sagas</th><th>this page</th></tr></thead><tbody></tbody></table>
    <div class="muted" id="replicas-note"></div>
  </section>
  <section><h2>WMS sagas by phase (this replica's partitions)</h2><table id="sagas"><tbody></tbody></table></section>
  <section class="bad" id="problems" hidden></section>
</div>
<script>
(() => {
  const STORE = 'flash-sale-admin-key';
  const WINDOW = 300;
  const CODES = ['reserved', 'insufficient_stock', 'customer_limit', 'overloaded'];
  const $ = (id) => document.getElementById(id);
  const fmt = (n, digits = 0) => (n === null || n === undefined || Number.isNaN(n) ? '–' : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
  let previous = null;
  let timer = null;
  let outcomeChart = null;
  let relayChart = null;
  const outcomeData = [[], ...CODES.map(() => []), []];
  const relayData = [[], [], []];
${WAREHOUSES_SCRIPT}

  function charts() {
    const width = Math.max(320, $('chart-outcomes').clientWidth || 520);
    const series = [{}, ...CODES.map((code, i) => ({ label: code, stroke: ['#067647', '#b54708', '#6941c6', '#b42318'][i], width: 2 })), { label: 'other', stroke: '#667085', width: 1 }];
    outcomeChart = new uPlot({ width, height: 220, series, axes: [{}, { label: 'per second' }] }, outcomeData, $('chart-outcomes'));
    relayChart = new uPlot({ width, height: 220, series: [{}, { label: 'worst lag (s)', stroke: '#b42318', width: 2, scale: 's' }, { label: 'events/s', stroke: '#1570ef', width: 2, scale: 'rate' }], axes: [{}, { scale: 's', label: 's' }, { scale: 'rate', side: 1, grid: { show: false } }] }, relayData, $('chart-relay'));
  }

  function push(data, values) {
    values.forEach((v, i) => { data[i].push(v); if (data[i].length > WINDOW) data[i].shift(); });
  }

  /** Outcome counts per code since the previous snapshot, per second; a restarted object (new since) restarts its counts. */
  function rates(now, before) {
    const dt = before ? (Date.parse(now.at) - Date.parse(before.at)) / 1000 : 0;
    const bySku = new Map();
    const total = {};
    for (const s of now.skus.ok ? now.skus.value : []) {
      const prev = before && before.skus.ok ? before.skus.value.find((p) => p.sku === s.sku && p.since === s.since) : null;
      const per = {};
      for (const [code, n] of Object.entries(s.outcomes)) {
        const delta = prev ? n - (prev.outcomes[code] || 0) : 0;
        per[code] = dt > 0 ? Math.max(0, delta) / dt : 0;
        total[code] = (total[code] || 0) + per[code];
      }
      bySku.set(s.sku, per);
    }
    return { dt, bySku, total };
  }

  function render(snapshot) {
    const r = rates(snapshot, previous);
    const refused = (per) => Object.entries(per).filter(([code]) => code !== 'reserved').reduce((n, [, v]) => n + v, 0);
    $('rate-reserved').textContent = fmt(r.total.reserved || 0, 1);
    $('rate-refused').textContent = fmt(refused(r.total), 1);
    $('relay-lag').textContent = fmt(snapshot.relay.worstLagSeconds, 2);
    const relayed = snapshot.relay.eventsRelayed.ok ? snapshot.relay.eventsRelayed.value : null;
    const relayedBefore = previous && previous.relay.eventsRelayed.ok ? previous.relay.eventsRelayed.value : null;
    const relayRate = r.dt > 0 && relayed !== null && relayedBefore !== null ? Math.max(0, relayed - relayedBefore) / r.dt : 0;
    $('relay-rate').textContent = fmt(relayRate, 1);
    $('dead-letters').textContent = snapshot.deadLetters.ok ? fmt(snapshot.deadLetters.value) : '?';
    $('dead-letters').className = snapshot.deadLetters.ok && snapshot.deadLetters.value > 0 ? 'bad' : '';
    $('causal-held').textContent = snapshot.causal ? fmt(snapshot.causal.held) : 'off';
    $('causal-held').className = snapshot.causal && snapshot.causal.alerting ? 'bad' : '';
    $('generation').textContent = snapshot.generations.ok ? snapshot.generations.value.active + (snapshot.generations.value.shadow ? ' (rebuilding ' + snapshot.generations.value.shadow + ')' : '') : '?';

    // How many shards, and the regions they live in (shard k in the (k mod R)-th) when the layout names them.
    const shardsCell = (c) => fmt(c.shards || 1) + (c.shardRegions ? ' · ' + c.shardRegions.join(' ') : '');
    const row = (cells, names) => {
      const tr = document.createElement('tr');
      cells.forEach((text, i) => { const td = document.createElement('td'); td.textContent = text; td.dataset.field = names[i]; tr.appendChild(td); });
      return tr;
    };
    const followed = snapshot.skus.ok ? snapshot.skus.value : [];
    // Each SKU's row, then one per location it names (stock where it is held, and the warehouse serving it).
    const rows = followed.flatMap((s) => {
      const per = r.bySku.get(s.sku) || {};
      const tr = row([s.sku, fmt(s.counters.onHand), fmt(s.counters.reserved), fmt(s.counters.sold), fmt(s.counters.available), fmt(per.reserved || 0, 1), fmt(refused(per), 1), shardsCell(s.counters), ''],
        ['sku', 'onHand', 'reserved', 'sold', 'available', 'reservedRate', 'refusedRate', 'shards', 'warehouse']);
      tr.dataset.sku = s.sku;
      const sites = (s.counters.locations || []).map((l) => {
        const site = row([l.location, fmt(l.onHand), fmt(l.reserved), fmt(l.sold), fmt(l.available), '', '', '', warehouseOf(l)],
          ['location', 'onHand', 'reserved', 'sold', 'available', '', '', '', 'warehouse']);
        site.className = 'location';
        site.dataset.ofSku = s.sku;
        site.dataset.location = l.location;
        if (l.available <= 0) site.cells[4].className = 'bad';
        return site;
      });
      return [tr, ...sites];
    });
    $('skus').tBodies[0].replaceChildren(...rows);

    // Issue 26: a customer holding more than 5 % of the stock, or most holds ending unbought, is shown as a problem.
    const pct = (x) => fmt(100 * x, 1) + ' %';
    $('hoarding').tBodies[0].replaceChildren(...followed.filter((s) => s.hoarding).map((s) => {
      const top = s.hoarding.topHolders[0];
      const share = top && s.counters.onHand > 0 ? top.units / s.counters.onHand : 0;
      const ended = s.hoarding.expiredUnits + s.counters.sold;
      const tr = row([s.sku, top ? top.customerId : '–', fmt(top ? top.units : 0), pct(share), fmt(s.hoarding.expiredUnits), ended > 0 ? pct(s.hoarding.expiredUnits / ended) : '–'],
        ['sku', 'topHolder', 'topUnits', 'topShare', 'expiredUnits', 'expiredShare']);
      tr.dataset.sku = s.sku;
      if (share > 0.05) tr.cells[3].className = 'bad';
      if (ended > 0 && s.hoarding.expiredUnits / ended > 0.5) tr.cells[5].className = 'bad';
      return tr;
    }));

    const phases = Object.entries(snapshot.sagas || {});
    $('sagas').tBodies[0].replaceChildren(...(phases.length === 0 ? [Object.assign(document.createElement('tr'), { textContent: 'sagas off or starting' })] : phases.map(([phase, n]) => {
      const tr = document.createElement('tr');
      tr.innerHTML = '<td></td><td></td>';
      tr.cells[0].textContent = phase;
      tr.cells[1].textContent = fmt(n);
      // Stuck waits for an operator; overdue is a completed purchase the WMS has not answered past the deadline.
      if ((phase === 'stuck' || phase === 'overdue') && n > 0) tr.className = 'bad';
      return tr;
    })));

    const problems = ['skus', 'generations', 'deadLetters', 'log'].filter((k) => !snapshot[k].ok).map((k) => k + ': ' + snapshot[k].error);
    if (snapshot.log.ok && !snapshot.log.value.ok) problems.push('event log: ' + snapshot.log.value.detail);
    $('problems').textContent = problems.join(' · ');
    $('problems').hidden = problems.length === 0;

    const t = Date.parse(snapshot.at) / 1000;
    const other = Object.entries(r.total).filter(([code]) => !CODES.includes(code)).reduce((n, [, v]) => n + v, 0);
    push(outcomeData, [t, ...CODES.map((code) => r.total[code] || 0), other]);
    push(relayData, [t, snapshot.relay.worstLagSeconds, relayRate]);
    if (!outcomeChart) charts();
    outcomeChart.setData(outcomeData);
    relayChart.setData(relayData);
    $('status').textContent = 'updated ' + new Date(snapshot.at).toLocaleTimeString() + ' · ' + followed.length + ' SKUs followed';
    $('status').className = 'ok';
    previous = snapshot;
  }

  /** 0-5,8: a replica's partitions at a glance. */
  function ranges(partitions) {
    const sorted = [...partitions].sort((a, b) => a - b);
    const out = [];
    for (let i = 0; i < sorted.length; ) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
      out.push(i === j ? String(sorted[i]) : sorted[i] + '-' + sorted[j]);
      i = j + 1;
    }
    return out.join(',');
  }

  /** Each replica of the group, the one serving this page marked; an empty group is a rebalance (or the saga off). */
  function renderGroup(group, error) {
    const members = group ? group.members : [];
    $('replicas').tBodies[0].replaceChildren(...members.map((m) => {
      const tr = document.createElement('tr');
      tr.dataset.endpoint = m.endpoint;
      if (m.self) tr.className = 'self';
      // Its sagas, those needing a look (stuck, overdue) in red; '?' for a replica that did not answer.
      const sagas = m.sagas ? Object.values(m.sagas).reduce((n, v) => n + v, 0) : null;
      const attention = m.sagas ? ['stuck', 'overdue'].filter((p) => m.sagas[p] > 0).map((p) => m.sagas[p] + ' ' + p) : [];
      const cells = [['endpoint', m.endpoint], ['partitions', ranges(m.partitions)], ['count', fmt(m.partitions.length)], ['sagas', sagas === null ? '?' : fmt(sagas) + (attention.length ? ' (' + attention.join(', ') + ')' : '')], ['self', m.self ? 'this one' : '']];
      for (const [field, text] of cells) { const td = document.createElement('td'); td.textContent = text; td.dataset.field = field; tr.appendChild(td); }
      if (attention.length) tr.cells[3].className = 'bad';
      return tr;
    }));
    const owned = members.reduce((n, m) => n + m.partitions.length, 0);
    $('replicas-note').textContent = error ? 'group unavailable (' + error + ')' : members.length === 0 ? 'no replica owns a partition now: rebalancing, or the saga is off' : members.length + ' replica(s), ' + owned + ' partitions owned';
    $('replicas-note').className = error || members.length === 0 ? 'bad' : 'muted';
  }

  async function pollGroup(key) {
    try {
      const res = await fetch('/admin/group', { headers: { authorization: 'Bearer ' + key }, cache: 'no-store' });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      renderGroup(await res.json(), null);
    } catch (error) {
      renderGroup(null, error.message);
    }
  }

  async function poll() {
    const key = sessionStorage.getItem(STORE);
    if (!key) return;
    try {
      const res = await fetch('/admin/dashboard', { headers: { authorization: 'Bearer ' + key }, cache: 'no-store' });
      // Its own part of the page: a group not answering never hides the rest.
      if (res.ok) {
        pollGroup(key);
        pollWarehouses(key);
      }
      if (res.status === 401) {
        sessionStorage.removeItem(STORE);
        stop('that key was refused');
        return;
      }
      if (!res.ok) throw new Error('HTTP ' + res.status);
      $('login').hidden = true;
      $('live').hidden = false;
      render(await res.json());
    } catch (error) {
      $('status').textContent = 'bridge not answering (' + error.message + '); retrying';
      $('status').className = 'bad';
    }
  }

  function start() {
    if (timer) return;
    poll();
    timer = setInterval(poll, 1000);
  }

  function stop(message) {
    clearInterval(timer);
    timer = null;
    $('live').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message;
    $('status').textContent = 'not connected';
    $('status').className = 'muted';
  }

  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('admin-key').value.trim();
    if (!key) return;
    sessionStorage.setItem(STORE, key);
    $('admin-key').value = '';
    $('login-error').textContent = '';
    start();
  });
  if (sessionStorage.getItem(STORE)) start();
})();
</script>
</body>
</html>
`;
