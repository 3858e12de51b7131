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
