// Admin charts with chart.js (served from node_modules). Each <canvas data-chart> names a
// <script type="application/json"> holding its numbers: the page carries data, never inline code
// (the CSP forbids it). Colours are the Okabe–Ito palette, readable with colour-vision
// differences, and series also differ by shape (bars against a line with points).
(() => {
  if (typeof window.Chart === 'undefined') return;
  const Chart = window.Chart;
  const BLUE = '#0072B2';
  const ORANGE = '#D55E00';
  const inr = new Intl.NumberFormat('en-IN', { style: 'currency', currency: 'INR', maximumFractionDigits: 0 });
  const count = new Intl.NumberFormat('en-IN');
  const dayLabel = (d) => new Date(`${d}T12:00:00+05:30`).toLocaleDateString('en-IN', { day: 'numeric', month: 'short', timeZone: 'Asia/Kolkata' });
  const read = (canvas) => JSON.parse(document.getElementById(canvas.dataset.chartSource).textContent);
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;

  for (const canvas of document.querySelectorAll('canvas[data-chart="sparkline"]')) {
    const data = read(canvas);
    new Chart(canvas, {
      type: 'line',
      data: { labels: data.labels.map(dayLabel), datasets: [{ data: data.values, borderColor: BLUE, backgroundColor: 'rgba(0,114,178,.12)', fill: true, borderWidth: 2, pointRadius: 0, tension: 0.25 }] },
      options: { maintainAspectRatio: false, plugins: { legend: { display: false }, tooltip: { enabled: false } }, scales: { x: { display: false }, y: { display: false, beginAtZero: true } } },
    });
  }

  for (const canvas of document.querySelectorAll('canvas[data-chart="revenue-orders"]')) {
    const data = read(canvas);
    new Chart(canvas, {
      data: {
        labels: data.labels.map(dayLabel),
        datasets: [
          { type: 'bar', label: 'Revenue (net, ₹)', data: data.revenue, backgroundColor: BLUE, yAxisID: 'money', order: 2 },
          { type: 'line', label: 'Paid orders', data: data.orders, borderColor: ORANGE, backgroundColor: ORANGE, pointStyle: 'rectRot', pointRadius: data.labels.length > 31 ? 0 : 4, borderWidth: 2, yAxisID: 'orders', order: 1 },
        ],
      },
      options: {
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        plugins: {
          legend: { position: 'bottom', labels: { usePointStyle: true } },
          tooltip: { callbacks: { label: (c) => (c.dataset.yAxisID === 'money' ? `Revenue: ${inr.format(c.raw)}` : `Paid orders: ${count.format(c.raw)}`) } },
        },
        scales: {
          money: { position: 'left', beginAtZero: true, ticks: { callback: (v) => inr.format(v) } },
          orders: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { precision: 0 } },
          x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 10 } },
        },
      },
    });
  }

  // Any daily chart: bars and lines on a count, money or percent axis, from
  // {labels, stacked?, series: [{label, values, type: 'bar'|'line', axis: 'count'|'money'|'percent'}]}.
  // Colours and point shapes go in a fixed order, so two series never differ by colour alone.
  const PALETTE = [BLUE, ORANGE, '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];
  const SHAPES = ['circle', 'rectRot', 'triangle', 'rect', 'star', 'crossRot'];
  const pct = (v) => `${Number(v).toFixed(1)}%`;
  const formatOf = (axis) => (axis === 'money' ? (v) => inr.format(v) : axis === 'percent' ? pct : (v) => count.format(v));
  for (const canvas of document.querySelectorAll('canvas[data-chart="series"]')) {
    const data = read(canvas);
    const axes = [...new Set(data.series.map((s) => s.axis))];
    const scales = { x: { stacked: Boolean(data.stacked), ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 10 } } };
    axes.forEach((axis, i) => {
      scales[axis] = { position: i === 0 ? 'left' : 'right', beginAtZero: true, stacked: Boolean(data.stacked) && axis === axes[0], grid: { drawOnChartArea: i === 0 }, ticks: { callback: formatOf(axis), precision: axis === 'count' ? 0 : undefined }, ...(axis === 'percent' ? { max: 100 } : {}) };
    });
    new Chart(canvas, {
      data: {
        labels: data.labels.map(dayLabel),
        datasets: data.series.map((s, i) => ({
          type: s.type,
          label: s.label,
          data: s.values,
          yAxisID: s.axis,
          backgroundColor: PALETTE[i % PALETTE.length],
          borderColor: PALETTE[i % PALETTE.length],
          pointStyle: SHAPES[i % SHAPES.length],
          pointRadius: s.type === 'line' && data.labels.length <= 31 ? 4 : 0,
          borderWidth: s.type === 'line' ? 2 : 0,
          borderDash: s.type === 'line' && i > 1 ? [6, 3] : undefined,
          order: s.type === 'line' ? 1 : 2,
          stack: data.stacked && s.type === 'bar' ? 'bars' : undefined,
        })),
      },
      options: {
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        plugins: {
          legend: { position: 'bottom', labels: { usePointStyle: true } },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${formatOf(data.series[c.datasetIndex].axis)(c.raw)}` } },
        },
        scales,
      },
    });
  }

  // A funnel or a ranking as horizontal bars: {labels, values, label}.
  for (const canvas of document.querySelectorAll('canvas[data-chart="hbar"]')) {
    const data = read(canvas);
    new Chart(canvas, {
      type: 'bar',
      data: { labels: data.labels, datasets: [{ label: data.label, data: data.values, backgroundColor: BLUE }] },
      options: {
        indexAxis: 'y',
        maintainAspectRatio: false,
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => `${data.label}: ${count.format(c.raw)}` } } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0, callback: (v) => count.format(v) } } },
      },
    });
  }

  // The custom dates matter only for a custom range.
  const picker = document.querySelector('[data-range-picker]');
  if (picker) {
    const select = picker.querySelector('[data-range-select]');
    const sync = () => {
      for (const el of picker.querySelectorAll('[data-range-custom]')) el.hidden = select.value !== 'custom';
    };
    select.addEventListener('change', sync);
    sync();
  }
})();
