// Finding jobs (filters paginated on the server), acting on every match (bulk, a batch per request, with progress),
// and a job's story (every attempt, its traceback, the Airflow task log that ran it).
"use strict";

const searchForm = document.getElementById("search-form");

function filterQuery() {
  const query = new URLSearchParams();
  for (const [name, value] of new FormData(searchForm)) {
    if (!value) continue;
    // datetime-local is the browser's local time: sent as UTC
    query.set(name, name === "since" || name === "until" ? new Date(value).toISOString() : value);
  }
  return query;
}

function searchRow(job) {
  const tr = document.createElement("tr");
  tr.dataset.job = job.id;
  const id = document.createElement("td");
  const link = Object.assign(document.createElement("a"), { href: `#job-${job.id}`, textContent: job.id });
  link.onclick = (event) => { event.preventDefault(); showStory(job.id); };
  id.append(link);
  tr.append(id, cell(job.state.replaceAll("_", " ")), cell(job.callback_name), cell(job.priority, "num"),
    cell(job.identifier), cell(job.serial_group), cell(job.created_at), cell(job.number_of_attempts, "num"),
    cell(job.error_message, "error"));
  return tr;
}

async function search(before) {
  const query = filterQuery();
  if (before) query.set("before", before);
  try {
    const found = await api(`jobs/search?${query}`);
    fill("search", found.jobs.map(searchRow));
    const total = `${found.total}${found.total_capped ? "+" : ""}`;
    document.getElementById("search-summary").textContent = `${total} job(s) match ${JSON.stringify(found.filter || {})}` +
      (found.jobs.length ? `; showing ${found.jobs[0].id} down to ${found.jobs[found.jobs.length - 1].id}` : "");
    document.getElementById("search-next").disabled = !found.next_before;
    document.getElementById("search-next").dataset.before = found.next_before || "";
    document.getElementById("search").dataset.searched = "true";
  } catch (error) {
    say(`search: ${error.message}`, true);
  }
}

searchForm.onsubmit = (event) => { event.preventDefault(); search(null); };
document.getElementById("search-first").onclick = () => search(null);
document.getElementById("search-next").onclick = (event) => search(event.target.dataset.before);

async function bulk(action, verb) {
  const body = Object.fromEntries(filterQuery());
  if (action === "remove") body.confirm = true;
  const progress = document.getElementById("bulk-progress");
  let changed = 0, scanned = 0;
  try {
    for (let step = 0; step < 10000; step++) {  // bounded: 10,000 steps of 5,000 jobs at the most
      const done = await api(`jobs/bulk/${action}`, { method: "POST", body: JSON.stringify(body) });
      changed += done.changed; scanned += done.scanned;
      progress.textContent = `${verb} ${changed} of ${scanned} matching job(s) looked at so far…`;
      if (done.next_before === null) break;
      body.before = done.next_before;
    }
    progress.textContent = `done: ${verb} ${changed} of ${scanned} matching job(s)`;
    progress.dataset.done = "true";
  } catch (error) {
    say(`${action}: ${error.message}`, true);
  }
  refresh();
  search(null);
}

const filterText = () => JSON.stringify(Object.fromEntries(filterQuery()));
confirming(document.getElementById("bulk-retry"), () => `Retry every permanently failed job matching ${filterText()}?`,
  () => bulk("retry", "retried"));
confirming(document.getElementById("bulk-cancel"), () => `Cancel every job matching ${filterText()} not running yet?`,
  () => bulk("cancel", "cancelled"));
confirming(document.getElementById("bulk-remove"), () => `Remove every permanently failed job matching ${filterText()} for good?`,
  () => bulk("remove", "removed"));

function fact(list, name, value) {
  list.append(Object.assign(document.createElement("dt"), { textContent: name }),
    Object.assign(document.createElement("dd"), { textContent: value === null || value === undefined ? "" : String(value) }));
}

function attemptRow(attempt) {
  const tr = document.createElement("tr");
  tr.dataset.attempt = attempt.attempt;
  const memory = attempt.memory && attempt.memory.peak_rss_kb ? `${Math.round(attempt.memory.peak_rss_kb / 1024)} MB` : "";
  const duration = attempt.execution_time_ms === null ? "" : `${attempt.execution_time_ms} ms`;
  tr.append(cell(attempt.attempt, "num"), cell(attempt.state.replaceAll("_", " ")), cell(attempt.started_at),
    cell(duration, "num"), cell(memory, "num"), cell(`${attempt.worker || ""} (${attempt.hostname || "?"}, pid ${attempt.pid ?? "?"})`));
  const log = document.createElement("td");
  if (attempt.task_instance) {
    // The page lives at <airflow>/roster/; Airflow's UI routes are under <airflow>/.
    const href = new URL(".." + attempt.task_instance.ui_path, document.baseURI).href;
    log.append(Object.assign(document.createElement("a"), { href, target: "_top", className: "task-log",
      textContent: `${attempt.task_instance.task_id}[${attempt.task_instance.map_index}] try ${attempt.task_instance.try_number}` }));
  }
  tr.append(log, cell(attempt.error_message, "error"));
  if (!attempt.traceback) return [tr];
  // The traceback gets the table's whole width, in a row of its own under its attempt.
  const below = Object.assign(document.createElement("tr"), { className: "traceback-row" });
  below.dataset.attempt = attempt.attempt;
  const td = Object.assign(document.createElement("td"), { colSpan: 8 });
  const details = document.createElement("details");
  details.append(Object.assign(document.createElement("summary"), { textContent: `traceback of attempt ${attempt.attempt}` }),
    Object.assign(document.createElement("pre"), { className: "traceback", textContent: attempt.traceback }));
  td.append(details);
  below.append(td);
  return [tr, below];
}

async function showStory(jobId) {
  try {
    const { job, attempts } = await api(`jobs/${jobId}/story`);
    const section = document.getElementById("story");
    document.getElementById("story-id").textContent = `${job.id} (${job.callback_name})`;
    const facts = document.getElementById("story-facts");
    facts.replaceChildren();
    for (const [name, key] of [["state", "state"], ["queue", "queue"], ["priority", "priority"], ["lanes", "lanes"],
      ["identifier", "identifier"], ["serial group", "serial_group"], ["published", "created_at"], ["due", "available_at"],
      ["attempts", "number_of_attempts"], ["finished", "finished_at"], ["cancel requested", "cancel_requested"],
      ["by broker", "processed_by_broker"]]) fact(facts, name, Array.isArray(job[key]) ? job[key].join(", ") : job[key]);
    document.getElementById("story-parameters").textContent = JSON.stringify(job.parameters, null, 2);
    fill("story-attempts", attempts.flatMap(attemptRow));
    section.hidden = false;
    section.dataset.job = job.id;
    section.scrollIntoView();
  } catch (error) {
    say(`job ${jobId}: ${error.message}`, true);
  }
}

document.getElementById("story-close").onclick = () => { document.getElementById("story").hidden = true; };
document.addEventListener("roster:refreshed", (event) => {
  const select = searchForm.querySelector("select[name=lane]");
  if (select.options.length > 1) return;
  for (const lane of event.detail.lanes) select.append(new Option(lane.lane, lane.lane));
}, { once: false });
