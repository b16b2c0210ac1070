// lawful privacy-details page: vanilla JS, no build step. Text goes into the DOM with
// textContent only (never innerHTML); the token stays in this tab's sessionStorage.
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN = "lawful.token";
let lastQuery = null;
let nextCursor = null;
const ERASURE_PAGE = 50;
let erasureOffset = 0;

function token() { return sessionStorage.getItem(TOKEN); }

async function api(path) {
  const answer = await fetch(path, { headers: { Authorization: "Bearer " + token() } });
  const body = await answer.json().catch(() => ({}));
  if (answer.status === 401) { signOut("Please sign in again."); }
  if (!answer.ok) { throw new Error((body.error && body.error.message) || answer.statusText); }
  return body;
}

function cellText(tag, text, className) {
  const el = document.createElement(tag);
  el.textContent = text == null ? "–" : String(text);
  if (className) { el.className = className; }
  return el;
}

function show(section) {
  for (const id of ["sign-in", "search", "person", "erasures"]) { $(id).hidden = id !== section; }
  $("sign-out").hidden = section === "sign-in";
  $("nav").hidden = section === "sign-in";
}

function setStatus(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN);
  show("sign-in");
  $("who").textContent = message || "";
}

async function signIn(event) {
  event.preventDefault();
  sessionStorage.setItem(TOKEN, $("token").value.trim());
  $("token").value = "";
  try {
    await api("/v1/alerts?limit=1");
    $("who").textContent = "signed in";
    show("search");
  } catch (error) {
    signOut("Sign-in failed: " + error.message);
  }
}

async function search(event, cursor) {
  if (event) { event.preventDefault(); }
  const params = new URLSearchParams();
  if (!cursor) {
    for (const [name, value] of new FormData($("search-form"))) {
      if (value.trim()) { params.set(name, value.trim()); }
    }
    lastQuery = params.toString();
  } else {
    params.set("cursor", cursor);
    for (const [k, v] of new URLSearchParams(lastQuery)) { params.set(k, v); }
  }
  setStatus("Searching…");
  try {
    const page = await api("/v1/search?" + params.toString());
    renderResults(page, Boolean(cursor));
  } catch (error) {
    setStatus("Search failed: " + error.message, true);
  }
}

function renderResults(page, append) {
  const body = $("results").querySelector("tbody");
  if (!append) { body.replaceChildren(); }
  for (const person of page.items) {
    const row = document.createElement("tr");
    const idCell = document.createElement("td");
    const link = cellText("a", person.individual_id, "person-link");
    link.addEventListener("click", () => openPerson(person.individual_id));
    idCell.append(link);
    const cells = person.cells.map((c) => `${c.purpose_id}/${c.channel || "–"}: ${c.reason.code}`);
    row.append(idCell, cellText("td", person.brand), cellText("td", person.jurisdiction),
      cellText("td", cells.join("; ")));
    body.append(row);
  }
  $("results").hidden = false;
  nextCursor = page.next_cursor;
  $("more").hidden = !nextCursor;
  setStatus(`${page.total} person(s) found`);
}

function traceDetails(trace) {
  const details = document.createElement("details");
  details.className = "trace";
  details.append(cellText("summary", `engine trace (${trace.length} rules)`));
  const list = document.createElement("ol");
  for (const check of trace) {
    const verdict = check.passed ? "passed" : "failed: " + check.reason;
    list.append(cellText("li", `${check.rule} ${verdict}`, check.passed ? "" : "no"));
  }
  details.append(list);
  return details;
}

async function openPerson(id) {
  try {
    const person = await api("/v1/persons/" + encodeURIComponent(id));
    $("person-id").textContent = person.individual_id;
    $("person-meta").textContent = `brand ${person.brand || "–"} · jurisdiction ` +
      `${person.jurisdiction || "–"} · evaluated ${person.evaluated_at}` + (person.erased ? " · ERASED" : "");
    const body = $("cells").querySelector("tbody");
    body.replaceChildren();
    for (const cell of person.cells) {
      const why = document.createElement("td");
      why.append(cellText("span", cell.reason.text, "why"), cellText("span", cell.reason.code, "code"));
      for (const extra of cell.secondary_reasons) { why.append(cellText("span", "also: " + extra.text, "code")); }
      if (cell.trace) { why.append(traceDetails(cell.trace)); }
      const row = document.createElement("tr");
      row.className = "cell";
      row.append(cellText("td", cell.purpose_id), cellText("td", cell.channel),
        cellText("td", cell.permitted ? "yes" : "no", cell.permitted ? "yes" : "no"), why,
        cellText("td", cell.rule), cellText("td", cell.row), cellText("td", cell.basis),
        cellText("td", cell.valid_until));
      body.append(row);
    }
    show("person");
  } catch (error) {
    setStatus("Could not open the person: " + error.message, true);
  }
}

function historyText(history) {
  return history.map((step) => `${step.state} ${step.at.slice(0, 19).replace("T", " ")}` +
    (step.reason ? ` (${step.reason})` : "")).join(" → ");
}

async function loadErasures(event, more) {
  if (event) { event.preventDefault(); }
  erasureOffset = more ? erasureOffset + ERASURE_PAGE : 0;
  const params = new URLSearchParams({ limit: String(ERASURE_PAGE), offset: String(erasureOffset) });
  const state = new FormData($("erasures-form")).get("state");
  if (state) { params.set("state", state); }
  $("erasures-status").textContent = "Loading…";
  $("erasures-status").className = "";
  try {
    const page = await api("/v1/erasures?" + params.toString());
    const body = $("erasure-list").querySelector("tbody");
    if (!more) { body.replaceChildren(); }
    for (const request of page.items) {
      const row = document.createElement("tr");
      row.className = "erasure";
      row.dataset.requestId = request.request_id;
      const state = cellText("td", request.state, "state " + request.state);
      if (request.reason) { state.append(cellText("span", request.reason, "code")); }
      row.append(cellText("td", request.request_id), cellText("td", request.individual_id), state,
        cellText("td", request.received_at.slice(0, 19).replace("T", " ")), cellText("td", request.due),
        cellText("td", request.deleted), cellText("td", request.masked),
        cellText("td", request.retained + (request.retained_categories.length
          ? " (" + request.retained_categories.join(", ") + ")" : "")),
        cellText("td", historyText(request.history), "history"));
      body.append(row);
    }
    $("erasure-list").hidden = false;
    $("erasures-more").hidden = page.items.length < ERASURE_PAGE;
    const shown = body.querySelectorAll("tr").length;
    $("erasures-status").textContent = `${shown} erasure request(s)`;
  } catch (error) {
    $("erasures-status").textContent = "Could not list erasure requests: " + error.message;
    $("erasures-status").className = "error";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", signIn);
  $("search-form").addEventListener("submit", (e) => search(e, null));
  $("more").addEventListener("click", () => search(null, nextCursor));
  $("back").addEventListener("click", () => show("search"));
  $("sign-out").addEventListener("click", () => signOut("Signed out."));
  $("nav-search").addEventListener("click", () => show("search"));
  $("nav-erasures").addEventListener("click", () => { show("erasures"); loadErasures(null, false); });
  $("erasures-form").addEventListener("submit", (e) => loadErasures(e, false));
  $("erasures-more").addEventListener("click", () => loadErasures(null, true));
  show(token() ? "search" : "sign-in");
});
