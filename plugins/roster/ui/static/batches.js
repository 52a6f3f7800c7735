// The Roster page's batches (queue.batch): progress per batch, newest first, refreshed with the rest of the page.
"use strict";

function batchRow(batch) {
  const tr = document.createElement("tr");
  tr.dataset.batch = batch.id;
  const ended = batch.finished + batch.failed + batch.cancelled;
  const done = batch.total ? `${Math.floor((100 * ended) / batch.total)}%` : "";
  tr.append(cell(batch.id, "num"), cell(batch.name), cell(batch.state), cell(batch.total, "num"),
    cell(batch.finished, "num"), cell(batch.failed, "num"),
    cell(batch.cancelled, "num"), cell(batch.unfinished, "num"), cell(done, "num"), cell(batch.on_complete),
    cell(batch.completed_at), cell(batch.asset));
  if (batch.failed) tr.children[5].className = "num warn";
  return tr;
}

document.addEventListener("roster:refreshed", async () => {
  try {
    fill("batches", (await api("jobs/batches")).batches.map(batchRow));
  } catch (error) {
    say(`could not load the batches: ${error.message}`, true);
  }
});
