/* Tollgate usage dashboard: reads the admin API's JSON (POST /admin/v1/<Method>) with the admin
 * key the operator enters. The key is kept in this tab's sessionStorage only and sent as an
 * authorization header; it is never put in a URL. */
(function () {
  'use strict';

  const KEY_STORAGE = 'tollgate.adminKey';
  const REFRESH_MS = 300000;
  const $ = (id) => document.getElementById(id);

  const fmt = {
    usd: new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 }),
    usdFine: new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 }),
    int: new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }),
    compact: new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }),
  };
  const num = (v) => (v === undefined || v === null || v === '' ? 0 : Number(v));
  const usd = (v) => fmt.usd.format(num(v));
  const usdFine = (v) => (num(v) !== 0 && Math.abs(num(v)) < 0.01 ? fmt.usdFine.format(num(v)) : fmt.usd.format(num(v)));
  const tokens = (v) => fmt.int.format(num(v));
  const amount = (unit, v) => (unit === 'usd' ? usdFine(v) : tokens(v));

  let key = sessionStorage.getItem(KEY_STORAGE) || '';
  let timer = null;
  let loading = false;
  const charts = {};

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  /** One admin call: resolves to {ok, status, data} or {ok: false, status, code, message}. */
  async function call(name, body) {
    let res;
    try {
      res = await fetch('/admin/v1/' + name, {
        method: 'POST',
        headers: { authorization: 'Bearer ' + key, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (e) {
      return { ok: false, status: 0, code: 'UNREACHABLE', message: 'the server did not answer (' + e.message + ')' };
    }
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
    if (res.ok && data) {
      return { ok: true, status: res.status, data: data };
    }
    const err = (data && data.error) || {};
    return { ok: false, status: res.status, code: err.code || String(res.status), message: err.message || res.statusText };
  }

  function setStatus(panelId, kind, text) {
    const el = document.querySelector('#' + panelId + ' [data-status]');
    el.className = 'status' + (kind ? ' ' + kind : '');
    el.textContent = text || '';
  }

  function explain(name, r) {
    if (r.status === 501) {
      return ['warn', 'Not available on this server yet: ' + name + ' answered UNIMPLEMENTED.'];
    }
    return ['error', name + ' failed (' + r.status + ' ' + r.code + '): ' + r.message];
  }

  function showBanner(text) {
    const b = $('banner');
    b.textContent = text;
    b.hidden = !text;
  }

  function cell(tr, text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function fillTable(id, rows, columns, emptyText) {
    const tbody = document.querySelector('#' + id + ' tbody');
    tbody.replaceChildren();
    if (!rows.length) {
      const tr = document.createElement('tr');
      const td = cell(tr, emptyText, 'empty');
      td.colSpan = columns;
      tbody.appendChild(tr);
      return;
    }
    rows.forEach((r) => tbody.appendChild(r));
  }

  function chart(id, config) {
    if (charts[id]) {
      charts[id].destroy();
    }
    charts[id] = new Chart($(id), config);
  }

  function clearChart(id) {
    if (charts[id]) {
      charts[id].destroy();
      delete charts[id];
    }
  }

  /** Vertical marker lines (percentiles, the tier's limit) on a linear x axis. */
  const markers = {
    id: 'markers',
    afterDatasetsDraw(c, args, opts) {
      const lines = (opts && opts.lines) || [];
      const x = c.scales.x;
      const area = c.chartArea;
      const ctx = c.ctx;
      lines.forEach((m, i) => {
        if (!(m.value >= x.min && m.value <= x.max)) return;
        const px = x.getPixelForValue(m.value);
        ctx.save();
        ctx.strokeStyle = m.color;
        ctx.lineWidth = m.width || 1.5;
        ctx.setLineDash(m.dash || []);
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = m.color;
        ctx.font = '600 11px system-ui, sans-serif';
        const text = m.label;
        const w = ctx.measureText(text).width;
        const left = px + 4 + w > area.right ? px - 4 - w : px + 4;
        ctx.fillText(text, left, area.top + 12 + 14 * (i % 4));
        ctx.restore();
      });
    },
  };

  function baseOptions() {
    Chart.defaults.color = css('--muted');
    Chart.defaults.borderColor = css('--line');
    Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    return { responsive: true, maintainAspectRatio: false, animation: false };
  }

  function periodWindows(period) {
    return { DAY: ['1d', '24h', 'day'], WEEK: ['7d', '1w', 'week', '168h'], MONTH: ['month', '1mo', '30d'] }[period] || [];
  }

  function renderReport(rep, period) {
    $('kpi-usd').textContent = usd(rep.totalUsd);
    $('kpi-tokens').textContent = tokens(rep.totalTokens);
    $('kpi-requests').textContent = tokens(rep.totalRequests);
    $('kpi-users').textContent = tokens(rep.activeUsers);
    const d = rep.tokensPerUser || {};
    $('kpi-pct').textContent = fmt.compact.format(num(d.p50)) + ' · ' + fmt.compact.format(num(d.p95)) + ' · ' + fmt.compact.format(num(d.p99));
    $('kpi-pct').title = tokens(d.p50) + ' · ' + tokens(d.p95) + ' · ' + tokens(d.p99) + ' tokens';
    $('kpi-range').textContent = rep.from && rep.to ? rep.from + ' → ' + rep.to : '–';

    const accent = css('--accent');
    const accent2 = css('--accent2');

    const days = rep.days || [];
    setStatus('panel-days', days.length ? '' : 'info', days.length ? '' : 'No usage recorded in this range.');
    chart('chart-days', {
      data: {
        labels: days.map((x) => x.day),
        datasets: [
          { type: 'bar', label: 'tokens', data: days.map((x) => num(x.tokens)), backgroundColor: accent + 'b3', yAxisID: 'tokens', order: 2 },
          { type: 'line', label: 'spend (USD)', data: days.map((x) => num(x.usd)), borderColor: accent2, backgroundColor: accent2, yAxisID: 'usd', tension: 0.25, pointRadius: 2, order: 1 },
        ],
      },
      options: Object.assign(baseOptions(), {
        interaction: { mode: 'index', intersect: false },
        scales: {
          tokens: { position: 'left', beginAtZero: true, ticks: { callback: (v) => fmt.compact.format(v) }, title: { display: true, text: 'tokens' } },
          usd: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { callback: (v) => fmt.usd.format(v) }, title: { display: true, text: 'USD' } },
        },
        plugins: {
          tooltip: { callbacks: { label: (c) => c.dataset.yAxisID === 'usd' ? ' spend ' + usdFine(c.raw) : ' ' + tokens(c.raw) + ' tokens' } },
        },
      }),
    });

    const bins = rep.tokensHistogram || [];
    const userTokenLimits = (rep.limits || []).filter((l) => l.scope === 'user' && l.unit === 'tokens');
    const wanted = periodWindows(period);
    const limit = userTokenLimits.find((l) => wanted.includes(l.window));
    const note = $('hist-note');
    note.textContent = num(d.samples) ? '(' + tokens(d.samples) + ' samples: users × ' + period.toLowerCase() + 's)' : '';
    if (!bins.length) {
      setStatus('panel-histogram', 'info', 'No per-user usage in this range.');
    } else if (!limit) {
      setStatus('panel-histogram', 'info', 'This tier has no per-user token limit on a ' + period.toLowerCase() + ' window' +
        (userTokenLimits.length ? ' (its per-user token limits: ' + userTokenLimits.map((l) => l.window + ' ' + tokens(l.value)).join(', ') + ')' : '') + '.');
    } else {
      setStatus('panel-histogram', '', '');
    }
    const lines = [
      { value: num(d.p50), label: 'p50 ' + fmt.compact.format(num(d.p50)), color: css('--muted'), dash: [4, 3] },
      { value: num(d.p95), label: 'p95 ' + fmt.compact.format(num(d.p95)), color: accent2, dash: [4, 3] },
      { value: num(d.p99), label: 'p99 ' + fmt.compact.format(num(d.p99)), color: accent2, dash: [1, 2] },
    ];
    if (limit) {
      lines.push({ value: num(limit.value), label: 'limit ' + limit.window + ' ' + fmt.compact.format(num(limit.value)), color: css('--bad'), width: 2 });
    }
    const lo = bins.length ? num(bins[0].lower) : 0;
    const hi = Math.max(bins.length ? num(bins[bins.length - 1].upper) : 1, limit ? num(limit.value) * 1.05 : 0);
    chart('chart-histogram', {
      type: 'bar',
      data: {
        datasets: [{
          label: 'users',
          data: bins.map((b) => ({ x: (num(b.lower) + num(b.upper)) / 2, y: num(b.count), lower: num(b.lower), upper: num(b.upper) })),
          backgroundColor: accent + 'b3',
          barPercentage: 1,
          categoryPercentage: 1,
          borderWidth: 0,
        }],
      },
      options: Object.assign(baseOptions(), {
        parsing: false,
        scales: {
          x: { type: 'linear', min: lo, max: hi, ticks: { callback: (v) => fmt.compact.format(v) }, title: { display: true, text: 'tokens per user and ' + period.toLowerCase() } },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'users' } },
        },
        plugins: {
          legend: { display: false },
          markers: { lines: lines },
          tooltip: { callbacks: {
            title: (items) => tokens(items[0].raw.lower) + ' – ' + tokens(items[0].raw.upper) + ' tokens',
            label: (c) => ' ' + tokens(c.raw.y) + ' users',
          } },
        },
      }),
      plugins: [markers],
    });

    const refusals = (rep.refusals || []).map((r) => {
      const tr = document.createElement('tr');
      cell(tr, r.scope + ' · ' + r.window);
      cell(tr, tokens(r.users), 'num');
      cell(tr, tokens(r.refusals), 'num');
      return tr;
    });
    setStatus('panel-refusals', '', '');
    fillTable('table-refusals', refusals, 3, 'No user reached a limit in this range.');

    const models = (rep.models || []).slice().sort((a, b) => num(b.usd) - num(a.usd));
    setStatus('panel-models', models.length ? '' : 'info', models.length ? '' : 'No model used in this range.');
    const palette = [accent, accent2, '#3fb27f', '#9b6bd6', '#d6594e', '#d1b03a', '#4bb3c8', '#8a8f99'];
    chart('chart-models', {
      type: 'doughnut',
      data: {
        labels: models.map((m) => m.model),
        datasets: [{ data: models.map((m) => num(m.usd)), backgroundColor: models.map((m, i) => palette[i % palette.length]), borderColor: css('--panel') }],
      },
      options: Object.assign(baseOptions(), {
        plugins: {
          legend: { position: 'right' },
          tooltip: { callbacks: { label: (c) => ' ' + c.label + ': ' + usdFine(c.raw) } },
        },
      }),
    });
    fillTable('table-models', models.map((m) => {
      const tr = document.createElement('tr');
      cell(tr, m.model);
      cell(tr, tokens(m.requests), 'num');
      cell(tr, tokens(num(m.inputTokens) + num(m.outputTokens)), 'num');
      cell(tr, usdFine(m.usd), 'num');
      return tr;
    }), 4, 'No model used in this range.');
  }

  function clearReport() {
    ['kpi-usd', 'kpi-tokens', 'kpi-requests', 'kpi-users', 'kpi-pct', 'kpi-range'].forEach((id) => ($(id).textContent = '–'));
    ['chart-days', 'chart-histogram', 'chart-models'].forEach(clearChart);
    fillTable('table-refusals', [], 3, '–');
    fillTable('table-models', [], 4, '–');
    $('hist-note').textContent = '';
  }

  function renderTop(resp) {
    const rows = (resp.users || []).map((u, i) => {
      const tr = document.createElement('tr');
      cell(tr, String(i + 1), 'num');
      cell(tr, u.user);
      cell(tr, tokens(u.requests), 'num');
      cell(tr, tokens(u.tokens), 'num');
      cell(tr, usdFine(u.usd), 'num');
      cell(tr, tokens(u.refusals), 'num');
      return tr;
    });
    fillTable('table-top', rows, 6, 'No usage in this range.');
  }

  function change(tr, from, to, fmtFn, lowerIsBetter) {
    const td = cell(tr, fmtFn(from) + ' → ' + fmtFn(to), 'num');
    if (num(to) !== num(from)) {
      const better = lowerIsBetter ? num(to) < num(from) : num(to) > num(from);
      td.classList.add(better ? 'better' : 'worse');
    }
  }

  function renderAdvice(resp) {
    const rows = (resp.limits || []).map((a) => {
      const tr = document.createElement('tr');
      cell(tr, a.scope + ' · ' + a.window + ' · ' + a.unit);
      cell(tr, amount(a.unit, a.current), 'num');
      cell(tr, a.advisable ? amount(a.unit, a.suggested) : '—', 'num');
      if (a.advisable) {
        change(tr, a.usersRefusedCurrent, a.usersRefusedSuggested, tokens, true);
        change(tr, a.worstCaseUsdPerUserCurrent, a.worstCaseUsdPerUserSuggested, usdFine, true);
        change(tr, a.projectedUsdCurrent, a.projectedUsdSuggested, usdFine, true);
      } else {
        cell(tr, tokens(a.usersRefusedCurrent), 'num');
        cell(tr, usdFine(a.worstCaseUsdPerUserCurrent), 'num');
        cell(tr, usdFine(a.projectedUsdCurrent), 'num');
      }
      cell(tr, a.note || (num(a.samples) ? tokens(a.samples) + ' samples' : ''));
      return tr;
    });
    fillTable('table-advice', rows, 7, 'This tier has no limits to advise on.');
  }

  function renderOverrides(resp) {
    const rows = (resp.overrides || []).map((o) => {
      const tr = document.createElement('tr');
      cell(tr, String(o.scope || '').toLowerCase());
      cell(tr, o.id);
      cell(tr, (o.limits || []).map((l) => l.window + ' ' + (l.usd !== undefined ? usdFine(l.usd) : tokens(l.tokens) + ' tokens')).join(', ') || 'no limits');
      const at = num(o.updatedAtMillis);
      cell(tr, at ? new Date(at).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '', 'num');
      return tr;
    });
    fillTable('table-overrides', rows, 4, 'No overrides: every user and key has its tier\'s limits.');
  }

  function range() {
    const body = { tier: $('tier').value.trim() || 'default', period: $('period').value };
    if ($('from').value) body.from = $('from').value;
    if ($('to').value) body.to = $('to').value;
    return body;
  }

  async function load() {
    if (!key || loading) return;
    loading = true;
    document.body.dataset.state = 'loading';
    $('refresh').disabled = true;
    const r = range();
    const [rep, top, adv, ovr] = await Promise.all([
      call('UsageReport', r),
      call('TopUsers', Object.assign({ by: $('top-by').value, limit: 10 }, r)),
      call('AdviseLimits', { tier: r.tier, percentile: num($('percentile').value) || 95, headroom: num($('headroom').value) || 1.2, lookback: num($('lookback').value) || 3 }),
      call('ListOverrides', {}),
    ]);
    loading = false;
    $('refresh').disabled = false;
    const denied = [rep, top, adv, ovr].find((x) => x.status === 401 || x.status === 403);
    if (denied) {
      showBanner((denied.status === 401 ? 'The admin key was not accepted' : 'This key may not read the admin API') +
        ' (' + denied.status + ' ' + denied.code + '): ' + denied.message);
      sessionStorage.removeItem(KEY_STORAGE);
      key = '';
      $('forget').hidden = true;
      clearReport();
      fillTable('table-top', [], 6, '–');
      fillTable('table-advice', [], 7, '–');
      fillTable('table-overrides', [], 4, '–');
      ['panel-days', 'panel-histogram', 'panel-refusals', 'panel-models', 'panel-top', 'panel-advice', 'panel-overrides'].forEach((p) => setStatus(p, '', ''));
      $('intro').hidden = false;
      document.body.dataset.state = 'denied';
      $('key').focus();
      return;
    }
    showBanner('');
    $('intro').hidden = true;
    if (rep.ok) {
      renderReport(rep.data, r.period);
    } else {
      clearReport();
      const [kind, text] = explain('UsageReport', rep);
      ['panel-days', 'panel-histogram', 'panel-refusals', 'panel-models'].forEach((p) => setStatus(p, kind, text));
    }
    if (top.ok) {
      setStatus('panel-top', '', '');
      renderTop(top.data);
    } else {
      fillTable('table-top', [], 6, '–');
      setStatus('panel-top', ...explain('TopUsers', top));
    }
    if (adv.ok) {
      setStatus('panel-advice', '', '');
      renderAdvice(adv.data);
    } else {
      fillTable('table-advice', [], 7, '–');
      setStatus('panel-advice', ...explain('AdviseLimits', adv));
    }
    if (ovr.ok) {
      setStatus('panel-overrides', '', '');
      renderOverrides(ovr.data);
    } else {
      fillTable('table-overrides', [], 4, '–');
      setStatus('panel-overrides', ...explain('ListOverrides', ovr));
    }
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    document.body.dataset.state = 'loaded';
  }

  function schedule() {
    if (timer) clearInterval(timer);
    timer = $('auto').checked ? setInterval(() => { if (document.visibilityState === 'visible') load(); }, REFRESH_MS) : null;
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('keyform').addEventListener('submit', (e) => {
      e.preventDefault();
      const k = $('key').value.trim();
      if (!k) {
        showBanner('Enter an admin key.');
        return;
      }
      key = k;
      sessionStorage.setItem(KEY_STORAGE, key);
      $('key').value = '';
      $('forget').hidden = false;
      load();
    });
    $('forget').addEventListener('click', () => {
      sessionStorage.removeItem(KEY_STORAGE);
      key = '';
      $('forget').hidden = true;
      clearReport();
      $('intro').hidden = false;
      document.body.dataset.state = '';
    });
    $('controls').addEventListener('submit', (e) => {
      e.preventDefault();
      load();
    });
    ['period', 'top-by'].forEach((id) => $(id).addEventListener('change', load));
    ['percentile', 'headroom', 'lookback'].forEach((id) => $(id).addEventListener('change', load));
    $('auto').addEventListener('change', schedule);
    schedule();
    if (key) {
      $('forget').hidden = false;
      load();
    }
  });
})();
