// The lab's "inside" page. Every value is put in the page as text (textContent), never as HTML.
"use strict";

const MAX_SHOWN = 400;
const FILTERS = ["kind", "cluster", "namespace", "pod", "identity", "outcome"];
const LANES = ["Pod", "NMI", "Entra ID", "ARM / Key Vault"];
const all = [];
let chosen = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const short = (id) => (id ? String(id).slice(0, 8) : "");
const lastSegment = (id) => String(id || "").split("/").pop();
const oidOf = (e) => (e.claims && e.claims.oid) || e.oid || "";
const good = (e) => ["issued", "allowed", "exchanged"].includes(e.outcome);

function identityOf(e) {
  if (e.identity) return e.identity;
  if (e.claims && e.claims.xms_mirid) return lastSegment(e.claims.xms_mirid);
  return e.appid || e.client_id || "";
}

function summary(e) {
  switch (e.kind) {
    case "entra":
      return `${e.grant} for client ${e.client_id}` + (e.audience ? ` → token for ${e.audience}` : "");
    case "nmi":
      return `${e.cluster}/${e.namespace}/${e.pod} asks for ${e.resource} → ${e.status} ` +
        (e.identity ? `identity ${e.identity} via ${e.binding || "?"} (selector ${e.selector})`
                    : `${e.reason}` + (e.selector ? "" : " (pod has no aadpodidbinding label)"));
    case "arm":
      return `oid ${short(e.oid)} ${e.action} at ${e.scope} → ` +
        (e.role ? `allowed by ${e.role} at ${e.assignment_scope}` : "AuthorizationFailed");
    case "workload-identity":
      return `${e.subject} from ${e.issuer} → ` +
        (e.credential ? `federated credential ${lastSegment(e.credential)}` : e.outcome);
    case "keyvault":
      return `oid ${short(e.oid)} ${e.operation} secret ${e.secret_name} in ${e.vault} → ` +
        (e.granted_by ? `allowed by ${e.granted_by}` : "Forbidden");
    default:
      return "";
  }
}

function valueFor(e, name) {
  return name === "identity" ? identityOf(e) : String(e[name] ?? "");
}

function wanted(e) {
  const form = document.getElementById("filters");
  return FILTERS.every((name) => {
    const value = form.elements[name].value;
    return !value || valueFor(e, name) === value;
  });
}

function addOption(name, value) {
  if (!value) return;
  const select = document.getElementById("filters").elements[name];
  if ([...select.options].some((o) => o.value === value)) return;
  select.append(el("option", { value }, value));
}

function row(e) {
  const time = new Date(e.time * 1000).toLocaleTimeString(LANGUAGE === "ja" ? "ja-JP" : undefined);
  const button = el("button", { type: "button", "aria-pressed": String(chosen === e) },
    el("span", { class: "kind" }, e.kind),
    el("span", { class: good(e) ? "ok" : "bad" }, e.outcome), " ",
    time, " — ", summary(e));
  button.addEventListener("click", () => choose(e));
  return el("li", { "data-seq": String(e.seq) }, button);
}

function renderTimeline() {
  const list = document.getElementById("events");
  const shown = all.filter(wanted).slice(-MAX_SHOWN).reverse();
  list.replaceChildren(...shown.map(row));
  document.getElementById("status").textContent =
    tr("live · %1 events · %2 shown", all.length, shown.length);
}

// The journey of the chosen event's token: the request that got it, its issuance, its uses.
function journeySteps(e) {
  const oid = oidOf(e);
  const steps = [];
  const start = e.kind === "nmi" || e.kind === "workload-identity" ? e :
    [...all].reverse().find((x) => x.seq <= e.seq && (x.kind === "nmi" || x.kind === "workload-identity") &&
                             x.status === 200 && oidOf(x) === oid) || null;
  if (start && start.kind === "nmi") {
    steps.push([0, 1, `GET /metadata/identity/oauth2/token resource=${start.resource}`]);
    if (start.status !== 200) {
      steps.push([1, 0, `${start.status} ${start.reason}`]);
      return steps;
    }
    steps.push([1, 1, `selector ${start.selector} → binding ${start.binding} → identity ${start.identity}`]);
  } else if (start) {
    steps.push([0, 2, `client assertion: ${start.subject}`]);
    steps.push([2, 2, `federated credential ${lastSegment(start.credential)}`]);
  }
  const issued = [...all].reverse().find((x) => x.kind === "entra" && x.status === 200 && x.seq <= e.seq + 1 &&
                                            oidOf(x) === oid);
  const viaNmi = Boolean(start && start.kind === "nmi");
  if (issued) {
    steps.push([viaNmi ? 1 : 0, 2, `${issued.grant} (client ${issued.client_id})`]);
    steps.push([2, viaNmi ? 1 : 0, `token: oid ${short(oid)}, aud ${issued.audience}`]);
  }
  if (viaNmi) steps.push([1, 0, `200: the token, for identity ${start.identity}`]);
  // A token is used until it nears expiry: its uses follow its issuance, not each request.
  const from = issued ? issued.seq : start ? start.seq : e.seq;
  const uses = all.filter((x) => (x.kind === "arm" || x.kind === "keyvault") && x.seq >= from && oidOf(x) === oid)
    .slice(0, 5);
  for (const use of uses) steps.push([0, 3, `${summary(use)}`]);
  if (!steps.length) steps.push([0, 0, summary(e)]);
  return steps;
}

function renderJourney() {
  const box = document.getElementById("journey");
  if (!chosen) return;
  const grid = el("div", { class: "seq", role: "table", "aria-label": tr("The token's journey") },
    ...LANES.map((lane) => el("div", { class: "lane", role: "columnheader" }, tr(lane))));
  for (const [from, to, text] of journeySteps(chosen)) {
    const left = Math.min(from, to), right = Math.max(from, to);
    const arrow = from === to ? "⟳ " : from < to ? "→ " : "← ";
    const cell = el("div", { class: "arrow", role: "cell" }, arrow, text);
    cell.style.gridColumn = `${left + 1} / ${right + 2}`;
    grid.append(el("div", { class: "step", role: "row" }, cell));
  }
  box.replaceChildren(grid);
}

function choose(e) {
  chosen = e;
  renderJourney();
  renderTimeline();
  const again = document.querySelector(`#events li[data-seq="${e.seq}"] button`);
  if (again) again.focus();
}

function latest(test) {
  for (let i = all.length - 1; i >= 0; i -= 1) if (test(all[i])) return all[i].claims || {};
  return null;
}

function renderClaims() {
  const columns = [
    [tr("Service principal"), latest((e) => e.kind === "entra" && e.grant === "client_credentials" && e.status === 200)],
    [tr("Pod identity (NMI)"), latest((e) => e.kind === "nmi" && e.status === 200)],
    [tr("Workload ID"), latest((e) => e.kind === "entra" && e.status === 200 && e.grant.includes("assertion"))],
  ];
  const names = [...new Set(columns.flatMap(([, c]) => Object.keys(c || {})))];
  const head = el("tr", {}, el("th", { scope: "col" }, tr("claim")),
    ...columns.map(([title]) => el("th", { scope: "col" }, title)));
  const rows = names.map((name) => el("tr", {}, el("th", { scope: "row" }, name),
    ...columns.map(([, c]) => el("td", {}, c ? String(c[name] ?? "—") : tr("no token yet")))));
  document.getElementById("claims").replaceChildren(el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)));
}

function table(caption, headers, rows) {
  return el("table", {}, el("caption", {}, caption),
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((v) => el("td", {}, v))))));
}

async function renderClusters() {
  const reply = await fetch("../events/clusters", { credentials: "same-origin" });
  if (!reply.ok) return;
  const { value } = await reply.json();
  const box = document.getElementById("clusters");
  if (!value.length) {
    box.replaceChildren(el("p", { class: "hint" }, tr("No cluster yet.")));
    return;
  }
  box.replaceChildren(...value.map((c) => el("div", {}, el("h3", {}, c.cluster),
    table(tr("Pods and what they may use"), [tr("pod"), tr("label"), tr("may use")],
      c.pods.map((p) => [`${p.namespace}/${p.name}`, p.label || "—", p.mayUse.join(", ") || tr("nothing")])),
    table(tr("Bindings"), [tr("binding"), tr("selector"), tr("identity")],
      c.bindings.map((b) => [`${b.namespace}/${b.name}`, b.selector, b.identity])))));
}

function receive(e) {
  all.push(e);
  if (all.length > 4 * MAX_SHOWN) all.splice(0, all.length - 2 * MAX_SHOWN);
  for (const name of FILTERS) addOption(name, valueFor(e, name));
}

let pending = null;
function refreshSoon() {
  if (pending) return;
  pending = setTimeout(() => {
    pending = null;
    renderTimeline();
    renderClaims();
    renderJourney();
  }, 200);
}

function start() {
  document.getElementById("filters").addEventListener("change", renderTimeline);
  const source = new EventSource("../events/stream");
  source.onmessage = (message) => {
    receive(JSON.parse(message.data));
    refreshSoon();
  };
  source.onerror = () => { document.getElementById("status").textContent = tr("reconnecting…"); };
  renderClaims();
  renderClusters();
  setInterval(renderClusters, 5000);
}

document.addEventListener("DOMContentLoaded", start);
