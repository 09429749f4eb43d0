// The FlowOS board: renders the JSON blob `flowos-lsp board` injected, with no network.
// A tab is drawn the first time it is shown (`#all` draws every tab at once, for tests and
// printing), and a column draws its first PAGE cards with a button for the rest, so that a
// board of 10,000 tasks opens as fast as one of ten.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("board-data").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const PAGE = 100;
  const STAGE_COLOURS = {
    inbox: "#c9d4e2", backlog: "#a3b7cf", next: "#7896bb", current: "#e0a040",
    integration: "#8fbf7a", learning: "#4f9d9d", archived: "#80868e",
  };

  // Styles go through the CSSOM: the editor's webview forbids inline style attributes.
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "style") node.style.cssText = value;
      else node.setAttribute(key, value);
    }
    for (const child of children || []) {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A table from a header row and rows of cells (strings or elements).
  function table(id, header, rows) {
    const node = el("table", id ? { id } : {});
    node.append(el("tr", {}, header.map((h) => el("th", {}, [h]))));
    for (const row of rows) node.append(el("tr", {}, row.map((c) => el("td", {}, [c === null || c === undefined ? "" : (typeof c === "object" ? c : String(c))]))));
    return node;
  }

  function empty(text) {
    return el("p", { class: "empty" }, [text]);
  }

  const num = (value, unit) => (value === null || value === undefined ? "n/a" : (Math.round(value * 100) / 100) + (unit || ""));
  const days = (hours) => (hours === null || hours === undefined ? "n/a" : (Math.round(hours / 24 * 10) / 10) + " d");

  // `↑ +3` against the window before, as the terminal and the reports write it.
  function change(trend) {
    if (trend.current === null || trend.previous === null) return "";
    const delta = Math.round((trend.current - trend.previous) * 100) / 100;
    if (delta === 0) return "→ 0";
    return (delta > 0 ? "↑ +" : "↓ ") + delta;
  }

  function wipState(row) {
    if (row.limit === null) return "";
    if (row.measured > row.limit) return "over";
    return row.measured === row.limit ? "at" : "";
  }

  // --- Now -------------------------------------------------------------------------------

  function renderNow() {
    const now = data.now;
    const root = document.getElementById("tab-now");
    root.append(el("h2", {}, ["Alerts"]));
    if (now.alerts.length === 0) root.append(el("p", { class: "ok" }, ["No alerts."]));
    for (const alert of now.alerts) root.append(el("div", { class: "alert " + alert.severity }, [alert.text]));
    root.append(el("h2", {}, ["WIP"]));
    const wip = el("table", { id: "now-wip" });
    for (const row of now.wip) {
      const limit = row.limit === null ? "no limit" : (row.scope === "per_dri" ? "busiest DRI " + row.measured + " / " + row.limit : row.count + " / " + row.limit);
      wip.append(el("tr", { "data-stage": row.stage }, [el("th", {}, [row.stage]), el("td", { class: wipState(row) }, [String(row.count)]), el("td", {}, [limit])]));
    }
    root.append(wip);
    for (const [title, list] of [["Waiting for sign-off", now.sign_offs], ["Displaced by a P0", now.displaced]]) {
      root.append(el("h2", {}, [title]));
      if (list.length === 0) root.append(el("p", {}, ["None."]));
      const rows = el("table");
      for (const task of list) rows.append(el("tr", {}, [el("td", {}, [task.id]), el("td", {}, [task.name || ""]), el("td", {}, [task.dri || ""]), el("td", {}, [task.note])]));
      root.append(rows);
    }
    root.append(el("h2", {}, ["Top blockers (28 days)"]));
    const blockers = el("table");
    for (const b of now.blockers) blockers.append(el("tr", {}, [el("td", {}, [b.hours.toFixed(1) + " h"]), el("td", {}, [b.blocker]), el("td", {}, [b.tasks.join(", ")])]));
    root.append(blockers);
  }

  // --- Board -----------------------------------------------------------------------------

  // What the filter matches: ID, name, DRI and tags, lower case.
  const searchText = (task) => [task.id, task.name, task.dri, ...(task.tags || [])].filter(Boolean).join(" ").toLowerCase();

  function card(task) {
    const late = task.slo_miss_ratio > 1;
    const node = el("a", {
      class: "card" + (late ? " late" : "") + (task.status === "blocked" ? " blocked" : ""),
      href: task.path === undefined ? "#" : data.roots[task.root || 0] + task.path,
      "data-id": task.id,
      "data-search": task.search,
    }, [
      el("div", { class: "id" }, [task.id + (task.priority ? " · " + task.priority : "")]),
      el("div", {}, [task.name || "(no name)"]),
      el("div", { class: "meta" }, [[task.dri || "no DRI", task.status || "?", task.age || "", ...(task.tags || []).map((t) => "#" + t)].filter(Boolean).join(" · ")]),
    ]);
    return node;
  }

  // Draws a column's cards: those matching the filter, PAGE at a time.
  function fillColumn(column) {
    const cards = column.cards;
    cards.textContent = "";
    const shown = column.tasks.filter((task) => column.needle === "" || task.search.includes(column.needle));
    const upto = Math.min(shown.length, column.limit);
    for (let i = 0; i < upto; i++) cards.append(card(shown[i]));
    if (shown.length > upto) {
      const more = el("button", { class: "more" }, ["Show " + Math.min(PAGE, shown.length - upto) + " more of " + (shown.length - upto)]);
      more.addEventListener("click", (event) => {
        event.stopPropagation();
        column.limit += PAGE;
        fillColumn(column);
      });
      cards.append(more);
    }
  }

  function renderBoard() {
    const root = document.getElementById("columns");
    const byStage = new Map();
    for (const task of data.tasks) {
      task.search = searchText(task);
      if (!byStage.has(task.stage)) byStage.set(task.stage, []);
      byStage.get(task.stage).push(task);
    }
    const columns = [];
    for (const row of data.now.wip) {
      const state = wipState(row);
      const node = el("div", { class: "column" + (state === "over" ? " over-limit" : "") + (row.stage === "archived" ? " collapsed" : ""), "data-stage": row.stage });
      const count = row.limit === null ? String(row.count) : row.count + " / " + row.limit;
      const header = el("h3", {}, [el("span", {}, [row.stage]), el("span", { class: "wip-count " + state, "data-count": String(row.count) }, [count])]);
      header.addEventListener("click", () => node.classList.toggle("collapsed"));
      const column = { tasks: byStage.get(row.stage) || [], cards: el("div", { class: "cards" }), limit: PAGE, needle: "" };
      node.append(header, column.cards);
      fillColumn(column);
      columns.push(column);
      root.append(node);
    }
    const filter = document.getElementById("filter");
    const apply = () => {
      const needle = filter.value.trim().toLowerCase();
      for (const column of columns) {
        column.needle = needle;
        column.limit = PAGE;
        fillColumn(column);
      }
    };
    filter.addEventListener("input", apply);
    // `board.html?filter=security#board` opens filtered: a link to share a slice of the board.
    const given = new URLSearchParams(location.search).get("filter");
    if (given) {
      filter.value = given;
      apply();
    }
  }

  // --- Flow ------------------------------------------------------------------------------

  function legend(entries) {
    return el("div", { class: "legend" }, entries.map(([name, colour]) => el("span", {}, [el("i", { style: "background:" + colour }), name])));
  }

  function figure(caption, chart, extra) {
    return el("figure", {}, [el("figcaption", {}, [caption]), chart, ...(extra || [])]);
  }

  // Weekly closed and created side by side: two series of bars.
  function weeklyChart(weeks) {
    const W = 360, H = 180, L = 30, B = 24, top = Math.max(1, ...weeks.map((w) => Math.max(w.closed, w.created)));
    const root = svg("svg", { class: "chart", id: "chart-weekly", width: W, height: H, viewBox: `0 0 ${W} ${H}` });
    const slot = (W - L - 10) / Math.max(1, weeks.length), bar = slot / 3;
    root.append(svg("line", { class: "axis", x1: L, y1: H - B, x2: W - 5, y2: H - B }));
    root.append(svg("text", { x: 2, y: 14 }, String(top)));
    for (const [series, key, colour, offset] of [["closed", "closed", "#2d6a9f", 0], ["created", "created", "#e0a040", 1]]) {
      const group = svg("g", { class: "series", "data-series": series });
      weeks.forEach((week, at) => {
        const height = (H - B - 20) * week[key] / top;
        group.append(svg("rect", { class: "bar", x: L + at * slot + bar * (offset + 0.5), y: H - B - height, width: bar, height, fill: colour, "data-value": week[key] }));
      });
      root.append(group);
    }
    weeks.forEach((week, at) => root.append(svg("text", { x: L + at * slot + bar * 0.5, y: H - 8 }, week.week.slice(5))));
    return figure("Throughput and arrivals per week", root, [legend([["closed", "#2d6a9f"], ["created", "#e0a040"]])]);
  }

  // A stacked area per stage, archived at the bottom, inbox on top.
  function cumulativeFlow(cfd) {
    const W = 520, H = 240, L = 34, B = 24;
    const order = cfd.series.slice().reverse();
    const points = cfd.at.length;
    const totals = cfd.at.map((_, i) => cfd.series.reduce((sum, s) => sum + s.counts[i], 0));
    const top = Math.max(1, ...totals);
    const x = (i) => L + (points < 2 ? 0 : i * (W - L - 10) / (points - 1));
    const y = (value) => H - B - (H - B - 10) * value / top;
    const root = svg("svg", { class: "chart", id: "chart-cfd", width: W, height: H, viewBox: `0 0 ${W} ${H}` });
    const below = new Array(points).fill(0);
    for (const series of order) {
      const upper = series.counts.map((count, i) => below[i] + count);
      const path = upper.map((v, i) => (i ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1)).join(" ") + " " +
        below.map((v, i) => [i, v]).reverse().map(([i, v]) => "L" + x(i).toFixed(1) + " " + y(v).toFixed(1)).join(" ") + " Z";
      root.append(svg("path", { class: "series", "data-series": series.stage, d: path, fill: STAGE_COLOURS[series.stage] || "#999" }));
      upper.forEach((v, i) => { below[i] = v; });
    }
    root.append(svg("line", { class: "axis", x1: L, y1: H - B, x2: W - 5, y2: H - B }));
    root.append(svg("text", { x: 2, y: 16 }, String(top)));
    root.append(svg("text", { x: L, y: H - 8 }, cfd.at[0].slice(0, 10)));
    root.append(svg("text", { x: W - 80, y: H - 8 }, cfd.at[points - 1].slice(0, 10)));
    return figure("Cumulative flow (tasks per stage, daily)", root, [legend(cfd.series.map((s) => [s.stage, STAGE_COLOURS[s.stage]]))]);
  }

  function histogram(hist) {
    const W = 360, H = 180, L = 30, B = 24, top = Math.max(1, ...hist.counts);
    const root = svg("svg", { class: "chart", id: "chart-lead", width: W, height: H, viewBox: `0 0 ${W} ${H}` });
    const slot = (W - L - 10) / Math.max(1, hist.counts.length);
    const group = svg("g", { class: "series", "data-series": "lead time" });
    hist.counts.forEach((count, at) => {
      const height = (H - B - 20) * count / top;
      group.append(svg("rect", { class: "bar", x: L + at * slot + 2, y: H - B - height, width: slot - 4, height, fill: "#5b7fa6", "data-value": count, "data-from-days": at * hist.bar_days }));
      root.append(svg("text", { x: L + at * slot + 2, y: H - 8 }, String(at * hist.bar_days)));
    });
    root.append(group, svg("line", { class: "axis", x1: L, y1: H - B, x2: W - 5, y2: H - B }), svg("text", { x: 2, y: 14 }, String(top)));
    if (hist.counts.length === 0) root.append(svg("text", { x: L + 10, y: H / 2 }, "No task closed in the window."));
    return figure("Lead time (tasks per " + hist.bar_days + "-day bar, days)", root);
  }

  function renderFlow() {
    const flow = data.flow;
    const root = document.getElementById("tab-flow");
    root.append(el("p", {}, ["From " + flow.since.slice(0, 10) + " to " + flow.until.slice(0, 10) + ", against the 28 days before."]));
    const row = (name, trend, unit, note) => [name, num(trend.current, unit), el("span", { class: "trend" }, [change(trend)]), "was " + num(trend.previous, unit), note || ""];
    const net = flow.arrival_per_week.current - flow.throughput_per_week.current;
    const figures = table("flow-figures", ["Figure", "Now", "Trend", "Before", ""], [
      row("Throughput", flow.throughput_per_week, " / week"),
      row("Arrivals", flow.arrival_per_week, " / week", net > 0 ? "demand exceeds capacity" : ""),
      row("Lead time (mean)", flow.lead_mean_hours, " h", flow.lead_mean_hours.current === null ? "" : days(flow.lead_mean_hours.current)),
      row("Flow efficiency (mean)", flow.flow_efficiency_pct, "%"),
      row("SLO compliance", flow.slo_compliance_pct, "%"),
    ]);
    figures.classList.add("figures");
    root.append(figures);
    const lead = flow.lead_time_hours;
    root.append(el("p", {}, ["Lead time of " + lead.count + " closed: median " + num(lead.median, " h") + ", p85 " + num(lead.p85, " h") + ", p95 " + num(lead.p95, " h") + "; predictability " + num(flow.predictability) + (flow.skipped ? "; " + flow.skipped + " ledgers left out (see query metrics)" : "")]));
    const charts = el("div", { class: "charts" });
    charts.append(weeklyChart(flow.weekly), cumulativeFlow(flow.cfd), histogram(flow.histogram));
    root.append(charts);
    root.append(el("h2", {}, ["Per week"]));
    root.append(table("flow-weekly", ["Week", "Closed", "Created", "Mean lead"], flow.weekly.map((w) => [w.week, w.closed, w.created, num(w.lead_mean_hours, " h")])));
    root.append(el("h2", {}, ["Time per stage (visits ended in the window)"]));
    root.append(table("flow-stages", ["Stage", "Visits", "Mean"], flow.stage_hours.map((s) => [s.stage, s.visits, num(s.mean_hours, " h")])));
  }

  // --- Rework and Learning -----------------------------------------------------------------

  function shareBar(pct) {
    return el("span", {}, [el("span", { class: "bar-cell", style: "width:" + Math.round(pct) + "px" }), " " + pct + "%"]);
  }

  function renderRework() {
    const view = data.rework;
    const root = document.getElementById("tab-rework");
    root.append(el("p", {}, ["From " + view.since.slice(0, 10) + " to " + view.until.slice(0, 10) + "."]));
    root.append(table("rework-summary", ["Completed", "Rework events", "Rate", "Trend", "Before"], [[view.completed, view.events, num(view.rate_pct.current, "%"), change(view.rate_pct), num(view.rate_pct.previous, "%")]]));
    root.append(el("h2", {}, ["Sent back"]));
    if (view.details.length === 0) root.append(empty("No task was sent back in the window."));
    else root.append(table("rework-details", ["Task", "Name", "When", "Event", "From → to", "Reason"], view.details.map((d) => [d.task, d.name, d.at.slice(0, 16).replace("T", " "), d.event, (d.from || "?") + " → " + (d.to || "?"), d.reason])));
    root.append(el("h2", {}, ["Reasons"]));
    if (view.reasons.length === 0) root.append(empty("None."));
    else root.append(table("rework-reasons", ["Reason", "Count", "Share"], view.reasons.map((r) => [r.reason, r.count, shareBar(r.pct)])));
    root.append(el("h2", {}, ["Rate by priority"]));
    if (view.by_priority.length === 0) root.append(empty("No task closed or sent back in the window."));
    else root.append(table("rework-priority", ["Priority", "Rework events", "Completed", "Rate"], view.by_priority.map((p) => [p.priority, p.events, p.completed, num(p.rate_pct, "%")])));
  }

  function renderLearning() {
    const view = data.learning;
    const root = document.getElementById("tab-learning");
    root.append(el("p", {}, ["Tasks closed from " + view.since.slice(0, 10) + " to " + view.until.slice(0, 10) + "."]));
    root.append(table("learning-summary", ["Archived", "Documented", "Skipped", "Not recorded", "Documented %", "Trend", "Before"], [[view.archived, view.documented, view.skipped, view.unrecorded, num(view.documented_pct.current, "%"), change(view.documented_pct), num(view.documented_pct.previous, "%")]]));
    root.append(el("h2", {}, ["Skip reasons"]));
    if (view.skip_reasons.length === 0) root.append(empty("None."));
    else root.append(table("learning-skips", ["Reason", "Count"], view.skip_reasons.map((r) => [r.reason, r.count])));
    root.append(el("h2", {}, ["Patterns (top 5)"]));
    if (view.patterns.length === 0) root.append(empty("No learning document of the window lists patterns (a ## Meta-Patterns list)."));
    else root.append(table("learning-patterns", ["Pattern", "Count", "Category", "Tasks"], view.patterns.map((p) => [p.pattern, p.count, p.category, p.tasks.join(", ")])));
    root.append(el("h2", {}, ["Most cited learnings"]));
    if (view.top_learnings.length === 0) root.append(empty("No learning document is cited by another task."));
    else root.append(table("learning-cited", ["Task", "Name", "Cited by"], view.top_learnings.map((c) => [c.task, c.name, c.cited_by.join(", ")])));
    root.append(el("h2", {}, ["Tasks closed"]));
    if (view.tasks.length === 0) root.append(empty("None in the window."));
    else root.append(table("learning-tasks", ["Task", "Name", "Closed", "Learning", "Reason"], view.tasks.map((t) => [t.task, t.name, t.closed.slice(0, 10), t.learning, t.reason])));
  }

  // --- Blockers --------------------------------------------------------------------------

  // A layered drawing: one band per stage (workflow order, top to bottom), tasks side by side
  // in their band (wrapping after ROW of them), missing targets in a band of their own; edges
  // point at what must finish first.
  function renderGraph() {
    const graph = data.graph;
    document.getElementById("graph-note").textContent = graph.note || "";
    const W = 150, H = 34, GAP = 16, ROW = 8, LINE = H + 18, LEFT = 90;
    const bands = new Map();
    for (const node of graph.nodes) {
      const band = node.missing ? "missing" : node.stage;
      if (!bands.has(band)) bands.set(band, []);
      bands.get(band).push(node);
    }
    const place = new Map();
    const widest = Math.min(ROW, Math.max(1, ...[...bands.values()].map((b) => b.length)));
    const width = LEFT + widest * (W + GAP) + GAP;
    let y = 5;
    const backgrounds = [];
    let row = 0;
    for (const [band, nodes] of bands) {
      const lines = Math.ceil(nodes.length / ROW);
      const height = lines * LINE + 14;
      backgrounds.push([band, y, height, row++]);
      nodes.forEach((node, at) => place.set(node.id, { x: LEFT + (at % ROW) * (W + GAP), y: y + 10 + Math.floor(at / ROW) * LINE }));
      y += height;
    }
    const root = svg("svg", { width, height: y + 5, viewBox: `0 0 ${width} ${y + 5}` });
    const defs = svg("defs");
    const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#8090a0" }));
    defs.append(marker);
    root.append(defs);
    for (const [band, top, height, index] of backgrounds) {
      root.append(svg("rect", { x: 0, y: top, width, height: height - 4, fill: index % 2 ? "#f7f8fa" : "#eef1f4" }));
      root.append(svg("text", { x: 8, y: top + 24, class: "band-label" }, band));
    }
    const missing = new Set(graph.nodes.filter((n) => n.missing).map((n) => n.id));
    for (const edge of graph.edges) {
      const from = place.get(edge.from), to = place.get(edge.to);
      if (!from || !to) continue;
      const x1 = from.x + W / 2, x2 = to.x + W / 2;
      const down = to.y > from.y;
      const y1 = from.y + (down ? H : 0), y2 = to.y + (down ? 0 : H);
      const bend = from.y === to.y ? -40 : 0;
      root.append(svg("path", {
        class: "edge" + (edge.in_cycle ? " cycle" : "") + (edge.critical ? " critical" : "") + (missing.has(edge.to) ? " missing" : ""),
        "data-from": edge.from, "data-to": edge.to,
        d: `M ${x1} ${y1} C ${x1} ${(y1 + y2) / 2 + bend}, ${x2} ${(y1 + y2) / 2 + bend}, ${x2} ${y2}`,
      }));
    }
    for (const node of graph.nodes) {
      const at = place.get(node.id);
      const group = svg("g", { class: "node" + (node.in_cycle ? " cycle" : "") + (node.critical ? " critical" : "") + (node.missing ? " missing" : ""), "data-id": node.id });
      group.append(svg("rect", { x: at.x, y: at.y, width: W, height: H, rx: 4 }));
      group.append(svg("text", { x: at.x + 6, y: at.y + 14, "font-weight": "bold" }, node.id + (node.missing ? " (missing)" : node.in_cycle ? " (cycle)" : "")));
      group.append(svg("text", { x: at.x + 6, y: at.y + 27 }, (node.name || "").slice(0, 24)));
      root.append(group);
    }
    document.getElementById("graph").append(root);
    if (graph.critical_path && graph.critical_path.length > 1) {
      document.getElementById("graph").after(el("p", { id: "critical-path" }, ["Critical path (the longest chain of unfinished work, first to finish first): " + graph.critical_path.join(" → ")]));
    }
    const impact = document.getElementById("impact");
    impact.append(el("tr", {}, [el("th", {}, ["hours"]), el("th", {}, ["blocker"]), el("th", {}, ["tasks"])]));
    for (const b of data.now.blockers) impact.append(el("tr", {}, [el("td", {}, [b.hours.toFixed(1)]), el("td", {}, [b.blocker]), el("td", {}, [b.tasks.join(", ")])]));
  }

  // --- Tabs ------------------------------------------------------------------------------

  const renderers = { now: renderNow, board: renderBoard, flow: renderFlow, blockers: renderGraph, rework: renderRework, learning: renderLearning };
  const drawn = new Set();
  // Milliseconds each tab took to draw, on <body data-draw-ms> (the README's measurements).
  const drawMs = {};
  function draw(tab) {
    if (drawn.has(tab) || !renderers[tab]) return;
    drawn.add(tab);
    const start = performance.now();
    renderers[tab]();
    drawMs[tab] = Math.round(performance.now() - start);
    document.body.dataset.drawMs = JSON.stringify(drawMs);
  }

  // In the editor's webview: clicking a card asks the editor to open the task file, and the
  // tab shown survives the page being drawn again as the workspace changes.
  const editor = typeof acquireVsCodeApi === "function" ? acquireVsCodeApi() : null;
  if (editor) {
    document.addEventListener("click", (event) => {
      const target = event.target.closest("a.card");
      if (!target) return;
      event.preventDefault();
      editor.postMessage({ type: "open", id: target.dataset.id, href: target.href });
    });
  }

  function show(tab) {
    draw(tab);
    if (editor) editor.setState({ tab });
    for (const other of document.querySelectorAll("#tabs button, .tab")) other.classList.remove("active");
    document.querySelector(`#tabs button[data-tab="${tab}"]`).classList.add("active");
    document.getElementById("tab-" + tab).classList.add("active");
  }

  document.getElementById("as-of").textContent = "as of " + data.now.now;
  for (const button of document.querySelectorAll("#tabs button")) {
    button.addEventListener("click", () => show(button.dataset.tab));
  }
  // `board.html#blockers` opens on that tab (the README's screenshots are taken this way);
  // `#all` draws every tab and stays on Now.
  const wanted = location.hash.slice(1) || (editor && (editor.getState() || {}).tab) || "";
  if (wanted === "all") Object.keys(renderers).forEach(draw);
  show(renderers[wanted] ? wanted : "now");
  // From the start of navigation to the first frame painted after the first tab was drawn
  // (style and layout included): when the page answers.
  requestAnimationFrame(() => setTimeout(() => {
    document.body.dataset.readyMs = String(Math.round(performance.now()));
  }, 0));
})();
