// The Roster page: reads the JSON under ./api/ (same origin: Airflow's login cookie authenticates) and acts on it.
"use strict";

const api = (path, options = {}) =>
  fetch("api/" + path, { credentials: "same-origin", headers: { "Content-Type": "application/json" }, ...options })
    .then(async (response) => {
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.detail ? JSON.stringify(body.detail) : response.statusText);
      return body;
    });

const cell = (text, className) => {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) td.className = className;
  return td;
};

const fill = (tableId, rows) => {
  const body = document.querySelector(`#${tableId} tbody`);
  body.replaceChildren(...rows);
};

const say = (text, isError = false) => {
  const message = document.getElementById("message");
  message.textContent = text;
  message.className = isError ? "error" : "";
};

// Airflow shows the page in a sandboxed iframe without allow-modals, where confirm() is ignored (it returns false):
// a button that changes or deletes things asks on the page instead, by its own label, and acts on a second click
// within a few seconds.
function confirming(button, question, action) {
  const label = button.textContent;
  let armed = null;
  const disarm = () => {
    clearTimeout(armed);
    armed = null;
    button.textContent = label;
    button.classList.remove("armed");
  };
  button.onclick = (event) => {
    event.preventDefault();
    if (armed) {
      disarm();
      return action();
    }
    say(typeof question === "function" ? question() : question);
    button.textContent = "Click again to confirm";
    button.classList.add("armed");
    armed = setTimeout(disarm, 5000);
  };
  return button;
}

const age = (seconds) =>
  seconds === null ? "" : seconds < 120 ? `${Math.round(seconds)} s` : `${(seconds / 60).toFixed(1)} min`;

function laneRow(lane) {
  const tr = document.createElement("tr");
  tr.dataset.lane = lane.lane;
  tr.append(cell(lane.lane), cell(lane.priorities));
  for (const state of ["ready", "processing", "waiting", "temporarily_failed", "permanently_failed"]) {
    const td = cell(lane.counts[state], "num");
    td.dataset.state = state;
    tr.append(td);
  }
  tr.append(cell(age(lane.oldest_ready_age_seconds), "num"), cell(`${lane.slots.used} / ${lane.slots.total}`, "num"));
  // Pausing: its consumers claim nothing from their next claim cycle on; the jobs keep their place.
  const paused = lane.paused_since !== null;
  const td = cell(paused ? `paused since ${lane.paused_since} ` : "claiming ", paused ? "warn paused" : "");
  const toggle = Object.assign(document.createElement("button"), { textContent: paused ? "Resume" : "Pause" });
  toggle.onclick = () => act(`jobs/lanes/${encodeURIComponent(lane.lane)}/${paused ? "resume" : "pause"}`, {},
    `lane ${lane.lane} ${paused ? "resumed" : "paused"}`);
  td.append(toggle);
  tr.dataset.paused = paused ? "true" : "false";
  tr.append(td);
  return tr;
}

function failedRow(job) {
  const tr = document.createElement("tr");
  tr.dataset.job = job.id;
  tr.append(cell(job.id, "num"), cell(job.callback_name), cell(job.error_message, "error"),
    cell(job.number_of_attempts, "num"), cell(job.last_attempt_at), cell(job.parameters, "params"));
  const actions = document.createElement("td");
  const retry = Object.assign(document.createElement("button"), { textContent: "Retry" });
  retry.onclick = () => act("jobs/failed/retry", { ids: [job.id] }, `job ${job.id} back to ready`);
  const remove = confirming(
    Object.assign(document.createElement("button"), { textContent: "Remove", className: "danger" }),
    `Remove job ${job.id} for good?`,
    () => act("jobs/failed/remove", { ids: [job.id], confirm: true }, `job ${job.id} removed`));
  actions.append(retry, " ", remove);
  tr.append(actions);
  return tr;
}

function waitingRow(job) {
  const tr = document.createElement("tr");
  tr.dataset.job = job.id;
  tr.append(cell(job.id, "num"), cell(job.callback_name), cell(job.state.replace("_", " "), "state"),
    cell(job.priority, "num"), cell(job.identifier), cell(job.available_at), cell(job.number_of_attempts, "num"),
    cell(job.parameters, "params"));
  const actions = document.createElement("td");
  const cancel = confirming(
    Object.assign(document.createElement("button"), { textContent: "Cancel", className: "danger" }),
    `Cancel job ${job.id} (${job.callback_name})? It will never run.`,
    () => cancelJobs({ ids: [job.id] }, `job ${job.id}`));
  actions.append(cancel);
  tr.append(actions);
  return tr;
}

function waitingSummary(waiting) {
  const c = waiting.counts;
  const total = c.ready + c.waiting + c.temporarily_failed;
  const shown = waiting.jobs.length < total ? ` (the ${waiting.jobs.length} most urgent below)` : "";
  // Of the ready ones, those a concurrency or rate limit holds back (flow control) are counted apart.
  const held = c.waiting_for_limit ? ` (${c.ready_to_run} to run, ${c.waiting_for_limit} held by a limit)` : "";
  return `${total} job(s) waiting to run: ${c.ready} ready${held}, ${c.waiting} waiting, ` +
    `${c.temporarily_failed} temporarily failed${shown}`;
}

function runRow(run) {
  const tr = document.createElement("tr");
  const s = run.summary || {};
  const shards = run.shards.map((shard) => `${shard.remainder}: ${shard.users_warmed ?? shard.users_published ?? 0}`);
  tr.append(cell(run.run_id), cell(run.state, run.state === "failed" ? "warn" : ""), cell(s.users_warmed, "num"),
    cell(s.users_failed, "num"), cell(s.users_per_second, "num"),
    cell(run.seconds === null ? "" : `${run.seconds.toFixed(1)} s`, "num"), cell(shards.join(", ")));
  return tr;
}

async function act(path, body, done) {
  try {
    const result = await api(path, { method: "POST", body: JSON.stringify(body) });
    say(`${done}: ${JSON.stringify(result)}`);
  } catch (error) {
    say(`${path}: ${error.message}`, true);
  }
  refresh();
}

async function cancelJobs(body, what) {
  try {
    const result = await api("jobs/cancel", { method: "POST", body: JSON.stringify(body) });
    const done = result.cancelled + result.cancel_requested;
    say(done === 0 ? `${what}: nothing left to cancel (already running to its end, finished or failed)`
      : `${what}: ${result.cancelled} cancelled, ${result.cancel_requested} running job(s) asked to stop`);
  } catch (error) {
    say(`cancel ${what}: ${error.message}`, true);
  }
  refresh();
}

async function refresh() {
  try {
    const [lanes, consumers, waiting, failed, runs] = await Promise.all(
      ["jobs/lanes", "jobs/consumers", "jobs/waiting", "jobs/failed", "warmup/runs"].map((path) => api(path)));
    fill("lanes", lanes.lanes.map(laneRow));
    const idle = lanes.lanes.filter((lane) => lane.unconsumed).map((lane) => lane.lane);
    const unconsumed = document.getElementById("unconsumed");
    unconsumed.textContent = idle.length ? `Jobs ready but nobody consuming: ${idle.join(", ")}` : "";
    unconsumed.className = idle.length ? "warn" : "";
    fill("consumers", consumers.consumers.map((c) => {
      const tr = document.createElement("tr");
      const renewed = c.renewed_at === null ? "" : `${c.renewed_seconds_ago} s ago` + (c.renewal_late ? " (late)" : "");
      tr.append(cell(c.worker), cell(c.hostname), cell(c.pid, "num"), cell(c.jobs, "num"), cell(c.since),
        cell(c.lease_until, c.lease_expired ? "warn" : ""), cell(renewed, c.renewal_late ? "warn" : ""));
      tr.dataset.late = c.renewal_late ? "true" : "false";
      return tr;
    }));
    document.getElementById("superseded").textContent =
      `Outcomes of stale claims discarded (a consumer stalled past its lease): ${consumers.superseded}`;
    document.getElementById("waiting-summary").textContent = waitingSummary(waiting);
    fill("waiting", waiting.jobs.map(waitingRow));
    fill("failed", failed.failed.map(failedRow));
    fill("warmup-runs", runs.runs.map(runRow));
    if (lanes.job_table === false) say(lanes.message);  // a new roster database: nothing published yet
    document.dispatchEvent(new CustomEvent("roster:refreshed", { detail: { lanes: lanes.lanes, runs: runs.runs } }));
    document.getElementById("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.loaded = "true";
  } catch (error) {
    say(`could not load: ${error.message}`, true);
  }
}

document.getElementById("refresh").onclick = refresh;
confirming(document.getElementById("retry-all"), "Retry every permanently failed job?",
  () => act("jobs/failed/retry", { all: true }, "retried"));
confirming(document.getElementById("stop-consumers"), "Ask every running consumer to stop after its current job?",
  () => act("jobs/stop-consumers", {}, "stop requested"));
document.getElementById("audit-form").onsubmit = async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const query = new URLSearchParams({ sample: form.get("sample") || "100" });
  if (form.get("usernames")) query.set("usernames", form.get("usernames"));
  const out = document.getElementById("audit-result");
  out.textContent = "auditing…";
  try {
    out.textContent = JSON.stringify(await api(`warmup/audit?${query}`), null, 2);
  } catch (error) {
    out.textContent = error.message;
  }
};
const cancelForm = document.getElementById("cancel-form");
const identifier = () => new FormData(cancelForm).get("identifier");
confirming(cancelForm.querySelector("button"),
  () => `Cancel every job with the identifier ${identifier()}? They will never run.`,
  () => cancelJobs({ identifier: identifier() }, `identifier ${identifier()}`));
cancelForm.onsubmit = (event) => {  // Enter in the field: the same as the button
  event.preventDefault();
  cancelForm.querySelector("button").click();
};
document.getElementById("warm-form").onsubmit = (event) => {
  event.preventDefault();
  const usernames = new FormData(event.target).get("usernames");
  act("warmup/warm-users", { usernames }, "warm_users job published");
};
refresh();
setInterval(refresh, 15000);
