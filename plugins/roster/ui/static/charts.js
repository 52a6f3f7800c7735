// The Roster page's charts (Chart.js, vendored: static/chart.umd.min.js) and alerts. Per lane: finished and failed
// per minute, depth (ready, waiting, processing), due -> start latency p50 / p95; the warmup's users/s and duration
// per run. Redrawn at each refresh of the page (roster.js sends "roster:refreshed").
"use strict";

const COLORS = { finished: "#2f855a", failed: "#c53030", ready: "#4c8bf5", waiting: "#d69e2e", processing: "#805ad5",
  p50: "#319795", p95: "#b7791f", usersPerSecond: "#4c8bf5", seconds: "#805ad5" };
const drawn = new Map();  // canvas id -> Chart

// A chart of one canvas, updated in place at each refresh (drawn anew only when its shape changes). Bars for
// counts per minute, lines with points for levels.
function plot(canvasId, type, labels, datasets, yTitle) {
  const shaped = datasets.map(([label, key, data]) => ({
    label, data, borderColor: COLORS[key], backgroundColor: COLORS[key], borderWidth: type === "bar" ? 0 : 2,
    pointRadius: type === "bar" ? 0 : 2, spanGaps: true, tension: 0 }));
  const old = drawn.get(canvasId);
  if (old && old.config.type === type && old.data.datasets.length === shaped.length) {
    old.data.labels = labels;
    old.data.datasets.forEach((dataset, i) => { dataset.data = shaped[i].data; });
    old.update("none");
    return old;
  }
  if (old) old.destroy();
  const chart = new Chart(document.getElementById(canvasId), {
    type,
    data: { labels, datasets: shaped },
    options: { animation: false, responsive: true, maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
      plugins: { legend: { labels: { boxWidth: 12 } } },
      scales: { x: { stacked: type === "bar", ticks: { maxTicksLimit: 8, maxRotation: 0 } },
        y: { stacked: type === "bar", beginAtZero: true, title: { display: true, text: yTitle } } } },
  });
  drawn.set(canvasId, chart);
  return chart;
}

function laneCharts(container, lane) {
  const box = (suffix, title) => {
    const div = Object.assign(document.createElement("div"), { className: "chart-box" });
    const area = Object.assign(document.createElement("div"), { className: "chart-area" });
    area.append(Object.assign(document.createElement("canvas"), { id: `chart-${lane}-${suffix}` }));
    div.append(Object.assign(document.createElement("h3"), { textContent: `${lane}: ${title}` }), area);
    div.dataset.lane = lane;
    container.append(div);
  };
  box("throughput", "finished and failed per minute");
  box("depth", "depth (ready, waiting, processing)");
  box("latency", "due → start latency (ms)");
}

async function drawLaneCharts() {
  const span = document.getElementById("chart-window").value;
  const data = await api(`jobs/charts?window=${span}`);
  if (data.job_table === false) return;
  const container = document.getElementById("charts");
  const lanes = Object.keys(data.lanes);
  if (container.dataset.lanes !== lanes.join(",")) {
    container.replaceChildren();
    lanes.forEach((lane) => laneCharts(container, lane));
    container.dataset.lanes = lanes.join(",");
  }
  const labels = data.minutes.map((minute) => minute.slice(span === "day" ? 5 : 11, 16).replace("T", " "));
  for (const [lane, s] of Object.entries(data.lanes)) {
    plot(`chart-${lane}-throughput`, "bar", labels, [["finished", "finished", s.finished], ["failed", "failed", s.failed]], "jobs / minute");
    plot(`chart-${lane}-depth`, "line", labels, [["ready", "ready", s.ready], ["waiting", "waiting", s.waiting],
      ["processing", "processing", s.processing]], "jobs");
    plot(`chart-${lane}-latency`, "line", labels, [["p50", "p50", s.p50], ["p95", "p95", s.p95]], "ms");
  }
}

function drawWarmupChart(runs) {
  const done = runs.filter((run) => run.summary).reverse();  // oldest first
  plot("chart-warmup", "line", done.map((run) => (run.start_date || run.run_id).slice(5, 16).replace("T", " ")), [
    ["users/s", "usersPerSecond", done.map((run) => run.summary.users_per_second ?? null)],
    ["duration (s)", "seconds", done.map((run) => run.seconds ?? null)],
  ], "users/s, seconds");
}

function alertItem(alert) {
  const li = document.createElement("li");
  li.dataset.check = alert.check;
  li.className = alert.firing ? "firing" : "";
  const since = alert.firing ? ` since ${alert.since}${alert.seen_by_health_check ? "" : " (checked now)"}` : "";
  li.append(Object.assign(document.createElement("strong"), { textContent: `${alert.title}: ${alert.firing ? "FIRING" : "ok"}` }),
    document.createTextNode(since));
  for (const problem of alert.problems) li.append(Object.assign(document.createElement("div"), { textContent: problem }));
  return li;
}

async function drawOperations(event) {
  try {
    const alerts = await api("jobs/alerts");
    document.getElementById("alerts").replaceChildren(...(alerts.alerts || []).map(alertItem));
    await drawLaneCharts();
    drawWarmupChart(event.detail.runs);
    document.body.dataset.charts = "drawn";
  } catch (error) {
    say(`could not draw the charts: ${error.message}`, true);
  }
}

let lastRefresh = null;
document.addEventListener("roster:refreshed", (event) => { lastRefresh = event; drawOperations(event); });
document.getElementById("chart-window").onchange = () => lastRefresh && drawOperations(lastRefresh);
