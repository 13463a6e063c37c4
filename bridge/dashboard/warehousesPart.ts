/**
 * The dashboard's warehouses: one row per configured warehouse (id, kind, health, feed lag and
 * state, the locations it serves), from `/admin/warehouses` — the report `inventory warehouses`
 * prints — and which one serves a location, for the SKUs' location rows. Polled every few
 * seconds, not every second: each poll probes every warehouse.
 */
export const WAREHOUSES_SECTION = /* html */ `
  <section><h2>Warehouses (the systems the bridge allocates at, and whose documents feed the stock)</h2>
    <table id="warehouses"><thead><tr><th>warehouse</th><th>kind</th><th>health</th><th>feed lag</th><th>feed</th><th>locations</th></tr></thead><tbody></tbody></table>
    <div class="muted" id="warehouses-note"></div>
  </section>`;

/** Script in the page's scope (its \`$\` and \`fmt\`); the rows are kept for \`servingOf\`. */
export const WAREHOUSES_SCRIPT = /* js */ `
  let warehouses = [];
  const WAREHOUSE_EVERY = 5;
  let warehouseTicks = 0;

  /** As the bridge routes it (bridge/warehouses.ts): the one listing the location, else the first listing none, else the first. */
  function servingOf(location) {
    return (warehouses.find((w) => w.locations && w.locations.includes(location)) || warehouses.find((w) => w.locations === null) || warehouses[0] || {}).id || null;
  }

  /** A location row's warehouse: the one feeding it, else the one it is allocated at (its stock set by hand). */
  function warehouseOf(l) {
    if (l.fed) return l.fed.warehouse + ' (fed, #' + l.fed.sequence + ')';
    const id = servingOf(l.location);
    return id ? id + ' (stock set by hand)' : '';
  }

  function renderWarehouses(report, error) {
    if (report) warehouses = report.warehouses;
    $('warehouses').tBodies[0].replaceChildren(...warehouses.map((w) => {
      const tr = document.createElement('tr');
      tr.dataset.warehouse = w.id;
      const state = report && report.feed === 'off' ? 'off' : (w.follower.live ? w.follower.live.state : '?');
      const cells = [['id', w.id], ['kind', w.kind], ['health', w.health.ok ? 'ok' : 'DOWN'], ['lag', fmt(w.lag)], ['feed', state], ['locations', w.locations ? w.locations.join(', ') : 'any']];
      for (const [field, text] of cells) { const td = document.createElement('td'); td.textContent = text; td.dataset.field = field; tr.appendChild(td); }
      if (!w.health.ok) { tr.cells[2].className = 'bad'; tr.cells[2].title = w.health.detail; }
      if (state === 'stalled' || state === 'backing_off') tr.cells[4].className = 'bad';
      return tr;
    }));
    $('warehouses-note').textContent = error ? 'warehouses unavailable (' + error + ')' : warehouses.length + ' warehouse(s)';
    $('warehouses-note').className = error ? 'bad' : 'muted';
  }

  async function pollWarehouses(key) {
    if (warehouseTicks++ % WAREHOUSE_EVERY !== 0) return;
    try {
      const res = await fetch('/admin/warehouses', { headers: { authorization: 'Bearer ' + key }, cache: 'no-store' });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      renderWarehouses(await res.json(), null);
    } catch (error) {
      renderWarehouses(null, error.message);
    }
  }
`;
