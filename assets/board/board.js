// The FlowOS board: renders the JSON blob `flowos-lsp board` injected, with no network.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("board-data").textContent);
  const SVG = "http://www.w3.org/2000/svg";

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of children || []) {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    return node;
  }

  document.getElementById("as-of").textContent = "as of " + data.now.now;
  for (const button of document.querySelectorAll("#tabs button")) {
    button.addEventListener("click", () => {
      for (const other of document.querySelectorAll("#tabs button, .tab")) other.classList.remove("active");
      button.classList.add("active");
      document.getElementById("tab-" + button.dataset.tab).classList.add("active");
    });
  }

  // `board.html#blockers` opens on that tab (the README's screenshots are taken this way).
  const wanted = document.querySelector(`#tabs button[data-tab="${location.hash.slice(1)}"]`);
  if (wanted) wanted.click();

  function wipState(row) {
    if (row.limit === null) return "";
    if (row.measured > row.limit) return "over";
    return row.measured === row.limit ? "at" : "";
  }

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
      const table = el("table");
      for (const task of list) table.append(el("tr", {}, [el("td", {}, [task.id]), el("td", {}, [task.name || ""]), el("td", {}, [task.dri || ""]), el("td", {}, [task.note])]));
      root.append(table);
    }
    root.append(el("h2", {}, ["Top blockers (28 days)"]));
    const blockers = el("table");
    for (const b of now.blockers) blockers.append(el("tr", {}, [el("td", {}, [b.hours.toFixed(1) + " h"]), el("td", {}, [b.blocker]), el("td", {}, [b.tasks.join(", ")])]));
    root.append(blockers);
  }

  function renderBoard() {
    const columns = document.getElementById("columns");
    for (const row of data.now.wip) {
      const tasks = data.tasks.filter((task) => task.stage === row.stage);
      const state = wipState(row);
      const column = el("div", { class: "column" + (state === "over" ? " over-limit" : "") + (row.stage === "archived" ? " collapsed" : ""), "data-stage": row.stage });
      const count = row.limit === null ? String(row.count) : row.count + " / " + row.limit;
      const header = el("h3", {}, [el("span", {}, [row.stage]), el("span", { class: "wip-count " + state, "data-count": String(row.count) }, [count])]);
      header.addEventListener("click", () => column.classList.toggle("collapsed"));
      const cards = el("div", { class: "cards" });
      for (const task of tasks) {
        const late = task.slo_miss_ratio !== null && task.slo_miss_ratio > 1;
        const card = el("a", {
          class: "card" + (late ? " late" : "") + (task.status === "blocked" ? " blocked" : ""),
          href: task.href || "#",
          "data-id": task.id,
          "data-search": [task.id, task.name, task.dri, ...(task.tags || [])].join(" ").toLowerCase(),
        }, [
          el("div", { class: "id" }, [task.id + (task.priority ? " · " + task.priority : "")]),
          el("div", {}, [task.name || "(no name)"]),
          el("div", { class: "meta" }, [[task.dri || "no DRI", task.status || "?", task.age || ""].filter(Boolean).join(" · ")]),
        ]);
        cards.append(card);
      }
      column.append(header, cards);
      columns.append(column);
    }
    document.getElementById("filter").addEventListener("input", (event) => {
      const needle = event.target.value.trim().toLowerCase();
      for (const card of document.querySelectorAll(".card")) {
        card.classList.toggle("hidden", needle !== "" && !card.dataset.search.includes(needle));
      }
    });
  }

  // A layered drawing: one band per stage (workflow order, top to bottom), tasks side by side
  // in their band, missing targets in a band of their own; edges point at what must finish first.
  function renderGraph() {
    const graph = data.graph;
    const bands = [];
    for (const node of graph.nodes) {
      const band = node.missing ? "missing" : node.stage;
      if (!bands.includes(band)) bands.push(band);
    }
    const W = 150, H = 34, GAP = 16, BAND = 70, LEFT = 90;
    const place = new Map();
    const widest = Math.max(1, ...bands.map((b) => graph.nodes.filter((n) => (n.missing ? "missing" : n.stage) === b).length));
    const width = LEFT + widest * (W + GAP) + GAP;
    const height = bands.length * BAND + 10;
    const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}` });
    const defs = svg("defs");
    const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#8090a0" }));
    defs.append(marker);
    root.append(defs);
    bands.forEach((band, row) => {
      const y = row * BAND + 5;
      root.append(svg("rect", { x: 0, y, width, height: BAND - 4, fill: row % 2 ? "#f7f8fa" : "#eef1f4" }));
      const label = svg("text", { x: 8, y: y + BAND / 2, class: "band-label" });
      label.textContent = band;
      root.append(label);
      graph.nodes.filter((n) => (n.missing ? "missing" : n.stage) === band).forEach((node, at) => {
        place.set(node.id, { x: LEFT + at * (W + GAP), y: y + (BAND - 4 - H) / 2 });
      });
    });
    for (const edge of graph.edges) {
      const from = place.get(edge.from), to = place.get(edge.to);
      const missing = graph.nodes.some((n) => n.missing && n.id === edge.to);
      const x1 = from.x + W / 2, y1 = from.y + H / 2, x2 = to.x + W / 2, y2 = to.y + (to.y > from.y ? 0 : H);
      const bend = from.y === to.y ? -40 : 0;
      root.append(svg("path", {
        class: "edge" + (edge.in_cycle ? " cycle" : "") + (missing ? " missing" : ""),
        "data-from": edge.from, "data-to": edge.to,
        d: `M ${x1} ${from.y + (to.y > from.y ? H : 0)} C ${x1} ${(y1 + y2) / 2 + bend}, ${x2} ${(y1 + y2) / 2 + bend}, ${x2} ${y2}`,
      }));
    }
    for (const node of graph.nodes) {
      const at = place.get(node.id);
      const group = svg("g", { class: "node" + (node.in_cycle ? " cycle" : "") + (node.missing ? " missing" : ""), "data-id": node.id });
      group.append(svg("rect", { x: at.x, y: at.y, width: W, height: H, rx: 4 }));
      const id = svg("text", { x: at.x + 6, y: at.y + 14, "font-weight": "bold" });
      id.textContent = node.id + (node.missing ? " (missing)" : node.in_cycle ? " (cycle)" : "");
      const name = svg("text", { x: at.x + 6, y: at.y + 27 });
      name.textContent = (node.name || "").slice(0, 24);
      group.append(id, name);
      root.append(group);
    }
    document.getElementById("graph").append(root);
    const impact = document.getElementById("impact");
    impact.append(el("tr", {}, [el("th", {}, ["hours"]), el("th", {}, ["blocker"]), el("th", {}, ["tasks"])]));
    for (const b of data.now.blockers) impact.append(el("tr", {}, [el("td", {}, [b.hours.toFixed(1)]), el("td", {}, [b.blocker]), el("td", {}, [b.tasks.join(", ")])]));
  }

  renderNow();
  renderBoard();
  renderGraph();
})();
