/* scale-auditor HTML report: draws one deployment's graph (Cytoscape.js, dagre layered layout), the side panel
   and the findings list from the JSON in #report-data. Every string from the audited repository reaches the
   page through textContent only (never innerHTML). With #selftest in the URL, it writes a JSON verdict on what
   it drew (script errors, labels fully visible) into #selfcheck for tests/test_html_browser.py. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var SEVERITIES = data.severities;
  var FILL = {critical: "#7f1d1d", high: "#dc2626", medium: "#f59e0b", low: "#7dd3fc", info: "#e2e8f0",
              none: "#ffffff"};
  var INK = {critical: "#ffffff", high: "#ffffff", medium: "#1c1917", low: "#0c4a6e", info: "#334155",
             none: "#0f172a"};
  var KIND_COLOUR = {service: "#2563eb", datastore: "#b45309", cache: "#059669", queue: "#ca8a04",
                     storage: "#78716c", proxy: "#0891b2", gateway: "#9333ea", load_balancer: "#7c3aed",
                     external: "#64748b"};
  var SHAPE = {service: "round-rectangle", datastore: "barrel", cache: "barrel", storage: "barrel",
               queue: "cut-rectangle", proxy: "round-hexagon", gateway: "round-hexagon",
               load_balancer: "round-hexagon", external: "round-rectangle"};
  var FONT_SIZE = 13, FONT_WEIGHT = "600", FONT_FAMILY = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
  var NODE_H = 34, MAX_ZOOM = 1.25;

  // ---- small DOM helpers: text only ------------------------------------------------------------------------
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) { if (arguments[i]) { parent.appendChild(arguments[i]); } }
    return parent;
  }
  function clear(e) { while (e.firstChild) { e.removeChild(e.firstChild); } return e; }
  function where(at) { return at[0] + ":" + at[1]; }
  function badge(severity) {
    var b = el("span", severity, "sev");
    b.style.background = FILL[severity] || FILL.none;
    b.style.color = INK[severity] || INK.none;
    return b;
  }
  function docsLink(rule) {
    var url = (data.rules[rule] || {}).url || data.docs;
    var a = el("a", "rule documentation");
    if (/^https:\/\//.test(url)) { a.href = url; }
    a.rel = "noopener";
    return a;
  }
  function nodeName(id) { var n = data.nodes[id]; return n ? n.name : ""; }
  // Nodes are numbered in the JSON; Cytoscape wants string ids.
  function cyId(index) { return "n" + index; }
  function indexOf(ele) { return Number(ele.id().slice(1)); }
  function worst(list) {
    var best = "none";
    list.forEach(function (f) {
      if (best === "none" || SEVERITIES.indexOf(f.severity) < SEVERITIES.indexOf(best)) { best = f.severity; }
    });
    return best;
  }

  var bySubject = {};
  data.findings.forEach(function (f, i) { f.index = i; (bySubject[f.subject] = bySubject[f.subject] || []).push(f); });
  var everyShown = {};
  data.views.forEach(function (v) { v.every_node.forEach(function (id) { everyShown[id] = true; }); });

  // ---- state ----------------------------------------------------------------------------------------------
  var state = {view: data.default_view, infra: false, selected: null};
  var cy = null;
  function currentView() { return data.views[state.view]; }
  // Everything is drawn when the reader asks, or when the deployment has nothing but infrastructure.
  function drawsAll(view) { return state.infra || !view.drawn.length; }
  function ownerOf(view, id) { return drawsAll(view) ? id : (view.owner[id] || id); }
  function inView(view, id) { return view.every_node.indexOf(id) >= 0; }
  function partsOf(view, id) {
    if (drawsAll(view)) { return []; }
    return Object.keys(view.owner).filter(function (k) { return view.owner[k] === id; }).map(Number)
      .sort(function (a, b) { return a - b; });
  }
  function findingsOf(view, id) {
    var list = (bySubject[id] || []).slice();
    partsOf(view, id).forEach(function (p) { list = list.concat(bySubject[p] || []); });
    return list.sort(function (a, b) { return a.index - b.index; });
  }

  // ---- graph ----------------------------------------------------------------------------------------------
  var measure = document.createElement("canvas").getContext("2d");
  function labelWidth(text) {
    measure.font = FONT_WEIGHT + " " + FONT_SIZE + "px " + FONT_FAMILY;
    return Math.ceil(measure.measureText(text).width);
  }
  function nodeWidth(text, shape) {
    var w = labelWidth(text);
    if (shape === "round-hexagon") { return Math.ceil(w * 1.3) + 36; }
    if (shape === "barrel" || shape === "cut-rectangle") { return w + 32; }
    return w + 24;
  }

  function elements(view) {
    var ids = drawsAll(view) ? view.every_node : view.drawn;
    var edges = drawsAll(view) ? view.every_edge : view.edges;
    var nodes = ids.map(function (id) {
      var n = data.nodes[id];
      var shape = SHAPE[n.kind] || "rectangle";
      var sev = worst(findingsOf(view, id));
      return {group: "nodes", data: {id: cyId(id), label: n.name, kind: n.kind, shape: shape, w: nodeWidth(n.name, shape),
              fill: FILL[sev], ink: INK[sev], line: KIND_COLOUR[n.kind] || "#94a3b8",
              border: n.kind === "external" ? "dashed" : (n.kind === "cache" ? "double" : "solid"),
              bw: n.kind === "cache" ? 4 : 2}};
    });
    var links = edges.map(function (e, i) {
      var weak = e[2].every(function (k) { return k === "knows_address"; });
      return {group: "edges", data: {id: "e" + i, source: cyId(e[0]), target: cyId(e[1]), weak: weak, inCycle: e[4]}};
    });
    return nodes.concat(links);
  }

  var STYLE = [
    {selector: "node", style: {
      "shape": "data(shape)", "width": "data(w)", "height": NODE_H, "label": "data(label)",
      "text-valign": "center", "text-halign": "center", "text-wrap": "none",
      "font-size": FONT_SIZE, "font-weight": FONT_WEIGHT, "font-family": FONT_FAMILY,
      "background-color": "data(fill)", "color": "data(ink)", "border-color": "data(line)",
      "border-width": "data(bw)", "border-style": "data(border)"}},
    {selector: "edge", style: {
      "width": 1.4, "line-color": "#94a3b8", "target-arrow-color": "#94a3b8", "target-arrow-shape": "triangle",
      "arrow-scale": 0.8, "curve-style": "bezier", "opacity": 0.55}},
    {selector: "edge[?weak]", style: {"line-style": "dashed"}},
    {selector: "edge.many", style: {"opacity": 0.35}},
    {selector: ".faded", style: {"opacity": 0.15}},
    {selector: "edge.near", style: {"line-color": "#1e293b", "target-arrow-color": "#1e293b", "opacity": 1,
                                    "width": 2.2, "z-index": 10}},
    {selector: "node.match", style: {"underlay-color": "#facc15", "underlay-opacity": 0.7, "underlay-padding": 6}},
    {selector: "node:selected", style: {"underlay-color": "#2563eb", "underlay-opacity": 0.35,
                                        "underlay-padding": 6}}
  ];

  /* dagre ranks the nodes (edges inside a cycle do not rank: they would stretch a ring of calls into a column)
     and orders each rank to keep edges short. Each rank is then packed into rows no wider than a chosen width,
     keeping dagre's order (a rank that has to be wrapped is sorted by name instead: wrapping loses its
     crossing-minimised order anyway, and names are what a reader scans). The width, and the gap between ranks,
     are the ones that let the whole graph be drawn largest on the canvas, so 40 services in one rank stay
     readable instead of being zoomed out to a line. */
  var GAP = 20, ROW_GAP = 18;
  function byName(a, b) { return a.data("label") < b.data("label") ? -1 : (a.data("label") > b.data("label") ? 1 : 0); }

  function packed(ranks, maxWidth, rankGap) {
    var places = [], top = 0, widest = 0;
    ranks.forEach(function (rank) {
      var row = rank.slice();
      var needed = row.reduce(function (sum, n) { return sum + n.data("w") + GAP; }, -GAP);
      if (needed > maxWidth) { row.sort(byName); }
      var rows = [[]], width = 0;
      row.forEach(function (n) {
        var w = n.data("w");
        if (width > 0 && width + GAP + w > maxWidth) { rows.push([]); width = 0; }
        rows[rows.length - 1].push(n);
        width += (width > 0 ? GAP : 0) + w;
      });
      rows.forEach(function (members) {
        var total = members.reduce(function (sum, n) { return sum + n.data("w"); }, 0) + GAP * (members.length - 1);
        widest = Math.max(widest, total);
        var x = -total / 2;
        members.forEach(function (n) {
          places.push([n, x + n.data("w") / 2, top + NODE_H / 2]);
          x += n.data("w") + GAP;
        });
        top += NODE_H + ROW_GAP;
      });
      top += rankGap - ROW_GAP;
    });
    return {places: places, width: widest, height: top - rankGap};
  }

  function layout(canvasWidth, canvasHeight) {
    var ranked = cy.elements().filter(function (e) { return e.isNode() || !e.data("inCycle"); });
    ranked.layout({name: "dagre", rankDir: "TB", nodeSep: 22, rankSep: 70, edgeSep: 12, fit: false,
                   animate: false}).run();
    var byY = {};
    cy.nodes().forEach(function (n) { var y = Math.round(n.position("y")); (byY[y] = byY[y] || []).push(n); });
    var ranks = Object.keys(byY).map(Number).sort(function (a, b) { return a - b; }).map(function (y) {
      return byY[y].sort(function (a, b) { return a.position("x") - b.position("x"); });
    });
    var best = null, bestZoom = -1;
    [64, 40].forEach(function (rankGap) {
      for (var step = 0, maxWidth = Math.max(360, canvasWidth / MAX_ZOOM - 60); step < 12; step++, maxWidth *= 1.25) {
        var candidate = packed(ranks, maxWidth, rankGap);
        var zoom = Math.min(MAX_ZOOM, (canvasWidth - 48) / Math.max(candidate.width, 1),
                            (canvasHeight - 48) / Math.max(candidate.height, 1));
        if (zoom > bestZoom + 0.01) { best = candidate; bestZoom = zoom; }
      }
    });
    best.places.forEach(function (place) { place[0].position({x: place[1], y: place[2]}); });
  }

  function fit() {
    cy.fit(cy.nodes(), 24);
    if (cy.zoom() > MAX_ZOOM) { cy.zoom(MAX_ZOOM); cy.center(cy.nodes()); }
  }

  function draw() {
    var view = currentView();
    var box = document.getElementById("cy");
    if (cy) { cy.destroy(); }
    cy = cytoscape({container: box, elements: elements(view), style: STYLE, minZoom: 0.05, maxZoom: 4,
                    boxSelectionEnabled: false, autoungrabify: false});
    if (cy.edges().length > 60) { cy.edges().addClass("many"); }
    var tallest = Math.max(420, window.innerHeight - 220);
    if (cy.nodes().length) { layout(cy.width(), tallest); }
    var wanted = cy.nodes().length ? Math.ceil(cy.nodes().boundingBox().h * MAX_ZOOM + 60) : 0;
    box.style.height = Math.min(Math.max(wanted, 300), tallest) + "px";
    document.getElementById("panel").style.maxHeight = box.style.height;
    cy.resize();
    fit();
    cy.on("tap", "node", function (e) { select(indexOf(e.target)); });
    cy.on("tap", function (e) { if (e.target === cy) { select(null); } });
    state.selected = null;
    highlight();
    panel();
    applySearch();
  }

  function highlight() {
    cy.elements().removeClass("faded near");
    cy.nodes().unselect();
    var n = state.selected === null ? cy.collection() : cy.getElementById(cyId(state.selected));
    if (!n.length) { return; }
    n.select();
    var near = n.connectedEdges();
    cy.elements().not(near).not(near.connectedNodes()).addClass("faded");
    near.addClass("near");
  }

  function select(id) {
    state.selected = id;
    highlight();
    panel();
  }

  function applySearch() {
    var q = document.getElementById("g-search").value.trim().toLowerCase();
    cy.nodes().removeClass("match");
    if (!q) { return []; }
    var view = currentView();
    var hits = cy.nodes().filter(function (n) {
      var names = [n.data("label")].concat(partsOf(view, indexOf(n)).map(nodeName));
      return names.some(function (s) { return s.toLowerCase().indexOf(q) >= 0; });
    });
    hits.addClass("match");
    return hits;
  }

  // ---- side panel -----------------------------------------------------------------------------------------
  function evidence(f) {
    var box = el("div", null, "evidence");
    add(box, add(el("div"), el("b", where(f.at))));
    f.related.forEach(function (r) { add(box, el("div", r[0] + ":" + r[1] + " — " + r[2])); });
    var fix = el("div");
    add(fix, el("b", "Fix: "));
    data.fixes[f.fix].forEach(function (line, i) { if (i) { add(fix, el("br")); } add(fix, document.createTextNode(line)); });
    add(box, fix, add(el("div"), docsLink(f.rule)));
    box.addEventListener("click", function (e) { e.stopPropagation(); });
    return box;
  }

  function findingItem(f, view, host) {
    var li = el("li", null, "finding");
    li.tabIndex = 0;
    var head = add(el("div"), badge(f.severity), document.createTextNode(" " + f.rule + " "),
                   el("span", (data.rules[f.rule] || {}).title || "", "muted"));
    add(li, head, el("div", f.message));
    if (host !== null && host !== undefined && f.subject !== host) { add(li, el("div", "on " + nodeName(f.subject), "muted")); }
    var shown = null;
    function toggle() {
      if (shown) { li.removeChild(shown); shown = null; } else { shown = evidence(f); li.appendChild(shown); }
    }
    li.addEventListener("click", toggle);
    li.addEventListener("keydown", function (e) { if (e.key === "Enter") { toggle(); } });
    return li;
  }

  function nodeLine(id, view) {
    var n = data.nodes[id];
    var li = el("li");
    var count = (bySubject[id] || []).length;
    add(li, el("b", n.name), el("span", " " + n.kind + " · " + n.type, "muted"),
        el("div", where(n.at) + (count ? " · " + count + " finding(s)" : ""), "muted"));
    if (count) {
      var open = el("button", "show its findings", "link");
      open.type = "button";
      open.addEventListener("click", function () { showNode(id); });
      add(li, open);
    }
    return li;
  }

  function showNode(id) {
    state.selected = id;
    highlight();
    panel();
  }

  function connections(view, id) {
    var edges = drawsAll(view) ? view.every_edge : view.edges;
    var list = el("ul");
    edges.forEach(function (e) {
      if (e[0] !== id && e[1] !== id) { return; }
      var out = e[0] === id;
      var li = el("li");
      add(li, el("span", (out ? "→ " : "← ") + nodeName(out ? e[1] : e[0])),
          el("span", " " + e[2].join(", "), "muted"));
      e[3].forEach(function (at) { add(li, el("div", where(at), "muted")); });
      add(list, li);
    });
    return list.childNodes.length ? list : null;
  }

  function panel() {
    var box = clear(document.getElementById("panel"));
    var view = currentView();
    var id = state.selected;
    if (id === null) { return summary(box, view); }
    var n = data.nodes[id];
    add(box, el("h3", n.name), el("div", n.kind + " · " + n.type + (n.role !== n.kind ? " · " + n.role : ""), "muted"),
        el("div", "defined at " + where(n.at), "muted"));
    var list = findingsOf(view, id);
    add(box, el("h4", "Findings (" + list.length + ")"));
    if (list.length) {
      var ul = el("ul");
      list.forEach(function (f) { add(ul, findingItem(f, view, id)); });
      add(box, ul);
    } else {
      add(box, el("div", "none", "muted"));
    }
    var parts = partsOf(view, id);
    if (parts.length) {
      add(box, el("h4", "Folded into this node (" + parts.length + ")"));
      var pl = el("ul");
      parts.forEach(function (p) { add(pl, nodeLine(p, view)); });
      add(box, pl);
    }
    var links = connections(view, id);
    if (links) { add(box, el("h4", "Connections"), links); }
    var back = el("button", "back to the deployment", "link");
    back.type = "button";
    back.addEventListener("click", function () { select(null); });
    add(box, el("p"), back);
  }

  function summary(box, view) {
    var kinds = {};
    (drawsAll(view) ? view.every_node : view.drawn).forEach(function (id) { var k = data.nodes[id].kind; kinds[k] = (kinds[k] || 0) + 1; });
    var count = data.findings.filter(function (f) { return inView(view, f.subject); }).length;
    add(box, el("h3", view.name), el("div", "drawn: " + Object.keys(kinds).sort().map(function (k) {
      return k + " " + kinds[k]; }).join(" · "), "muted"),
        el("div", count + " finding(s) on this deployment's nodes", "muted"),
        el("p", "Click a node for its findings and what is folded into it; click a finding for its evidence lines.",
           "muted"));
    if (!view.drawn.length) {
      add(box, el("p", "Nothing in this deployment is a service, datastore or entry point: all of it is drawn.", "muted"));
    }
    if (view.unowned.length && !drawsAll(view)) {
      add(box, el("h4", "Infrastructure not drawn (" + view.unowned.length + ")"),
          el("div", "Shared by several drawn nodes or by none; \u201cshow infrastructure\u201d draws it.", "muted"));
      var ul = el("ul");
      view.unowned.forEach(function (id) { add(ul, nodeLine(id, view)); });
      add(box, ul);
    }
  }

  // ---- findings list --------------------------------------------------------------------------------------
  var rows = [];
  function findingsTable() {
    var body = document.getElementById("findings").tBodies[0];
    data.findings.forEach(function (f) {
      var tr = el("tr", null, "finding");
      var rule = add(el("td"), el("div", f.rule), el("div", (data.rules[f.rule] || {}).slug || "", "muted"));
      add(tr, add(el("td"), badge(f.severity)), rule, add(el("td"), el("code", where(f.at))),
          add(el("td"), el("div", f.message), el("div", nodeName(f.subject) + (f.deployment ? " · " + f.deployment : ""),
                                                "muted")));
      var detail = null;
      tr.addEventListener("click", function () {
        if (detail) { body.removeChild(detail); detail = null; return; }
        detail = el("tr", null, "detail");
        var td = el("td");
        td.colSpan = 4;
        add(td, evidence(f));
        if (everyShown[f.subject]) {
          var go = el("button", "show in the graph", "link");
          go.type = "button";
          go.addEventListener("click", function () { showInGraph(f); });
          add(td, go);
        }
        add(detail, td);
        body.insertBefore(detail, tr.nextSibling);
      });
      rows.push({finding: f, row: tr, text: [f.rule, (data.rules[f.rule] || {}).slug || "", f.message, where(f.at),
                 nodeName(f.subject), f.deployment].join(" ").toLowerCase()});
      add(body, tr);
    });
    if (!data.findings.length) {
      var none = el("td", "No findings.");
      none.colSpan = 4;
      add(body, add(el("tr"), none));
    }
    var counts = function (key) {
      var c = {};
      data.findings.forEach(function (f) { c[f[key]] = (c[f[key]] || 0) + 1; });
      return c;
    };
    var sev = counts("severity"), cat = counts("category"), rule = counts("rule");
    SEVERITIES.forEach(function (s) { if (sev[s]) { option("f-sev", s, s + " (" + sev[s] + ")"); } });
    Object.keys(cat).sort().forEach(function (c) { option("f-cat", c, c + " (" + cat[c] + ")"); });
    Object.keys(rule).sort().forEach(function (r) {
      option("f-rule", r, r + " " + ((data.rules[r] || {}).slug || "") + " (" + rule[r] + ")");
    });
    ["f-sev", "f-cat", "f-rule", "f-scope"].forEach(function (id) {
      document.getElementById(id).addEventListener("change", filterFindings);
    });
    document.getElementById("f-q").addEventListener("input", filterFindings);
  }
  function option(select, value, text) {
    var o = el("option", text);
    o.value = value;
    document.getElementById(select).appendChild(o);
  }
  function filterFindings() {
    var s = document.getElementById("f-sev").value, c = document.getElementById("f-cat").value;
    var r = document.getElementById("f-rule").value, q = document.getElementById("f-q").value.trim().toLowerCase();
    var scoped = document.getElementById("f-scope").checked, view = currentView(), n = 0;
    rows.forEach(function (item) {
      var f = item.finding;
      var ok = (!s || f.severity === s) && (!c || f.category === c) && (!r || f.rule === r) &&
               (!q || item.text.indexOf(q) >= 0) &&
               (!scoped || !view || !everyShown[f.subject] || inView(view, f.subject));
      item.row.hidden = !ok;
      var next = item.row.nextSibling;
      if (next && next.className === "detail") { next.hidden = !ok; }
      if (ok) { n++; }
    });
    document.getElementById("f-count").textContent = n + " of " + rows.length + " shown";
  }
  function showInGraph(f) {
    var index = state.view;
    if (!inView(currentView(), f.subject)) {
      index = data.views.findIndex(function (v) { return inView(v, f.subject); });
    }
    document.getElementById("g-view").value = String(index);
    state.view = index;
    draw();
    filterFindings();
    var view = currentView();
    var target = ownerOf(view, f.subject);
    if (cy.getElementById(cyId(target)).length) {
      select(target);
      cy.center(cy.getElementById(cyId(target)));
    } else {
      select(null);
    }
    document.getElementById("graph-section").scrollIntoView();
  }

  // ---- toolbar and legend ---------------------------------------------------------------------------------
  function toolbar() {
    var pick = document.getElementById("g-view");
    data.views.forEach(function (v, i) {
      var o = el("option", v.name + " (" + (v.drawn.length || v.every_node.length) + " nodes)");
      o.value = String(i);
      pick.appendChild(o);
    });
    pick.value = String(state.view);
    pick.addEventListener("change", function () { state.view = Number(pick.value); draw(); filterFindings(); });
    document.getElementById("g-infra").addEventListener("change", function (e) { state.infra = e.target.checked; draw(); });
    document.getElementById("g-fit").addEventListener("click", fit);
    var search = document.getElementById("g-search");
    search.addEventListener("input", applySearch);
    search.addEventListener("keydown", function (e) {
      if (e.key !== "Enter") { return; }
      var hits = applySearch();
      if (hits.length) { select(indexOf(hits[0])); cy.animate({center: {eles: hits[0]}, duration: 200}); }
    });
    var legend = document.getElementById("g-legend");
    add(legend, el("span", "worst finding:"));
    SEVERITIES.concat(["none"]).forEach(function (s) { add(legend, badge(s)); });
    add(legend, el("span", "shapes: rounded box service · barrel datastore (double border: cache) · cut corners " +
                           "queue · hexagon load balancer, gateway, proxy · dashed border external · dashed edge: " +
                           "address known, use not shown"));
  }

  // ---- self-check for the browser test --------------------------------------------------------------------
  function selfCheck() {
    if (!cy) {
      document.getElementById("selfcheck").textContent = JSON.stringify({errors: window.pageErrors.slice(),
        view: null, services: [], problems: [], clicks: null});
      return;
    }
    var problems = [], checked = [], width = cy.width(), height = cy.height(), bodies = [];
    cy.nodes().forEach(function (n) {
      var name = n.data("label");
      var body = n.renderedBoundingBox({includeLabels: false, includeOverlays: false, includeUnderlays: false});
      var label = n.renderedBoundingBox({includeNodes: false, includeLabels: true, includeOverlays: false,
                                         includeUnderlays: false});
      var font = parseFloat(n.style("font-size")) * cy.zoom();
      if (n.style("label") !== data.nodes[indexOf(n)].name) { problems.push(name + ": label is not the full name"); }
      if (n.style("text-wrap") !== "none") { problems.push(name + ": label may wrap or be cut"); }
      if (!(label.w > 0)) { problems.push(name + ": label has no size"); }
      if (label.x1 < body.x1 - 0.5 || label.x2 > body.x2 + 0.5 || label.y1 < body.y1 - 0.5 ||
          label.y2 > body.y2 + 0.5) { problems.push(name + ": label overflows its node"); }
      if (body.x1 < 0 || body.y1 < 0 || body.x2 > width || body.y2 > height) {
        problems.push(name + ": outside the visible canvas");
      }
      if (font < 9) { problems.push(name + ": drawn at " + font.toFixed(1) + "px"); }
      bodies.push({name: name, box: body});
      if (n.data("kind") === "service") { checked.push(name); }
    });
    for (var i = 0; i < bodies.length; i++) {
      for (var j = i + 1; j < bodies.length; j++) {
        var a = bodies[i].box, b = bodies[j].box;
        if (a.x1 < b.x2 - 1 && b.x1 < a.x2 - 1 && a.y1 < b.y2 - 1 && b.y1 < a.y2 - 1) {
          problems.push(bodies[i].name + " overlaps " + bodies[j].name);
        }
      }
    }
    var verdict = {errors: window.pageErrors.slice(), view: currentView().name, zoom: cy.zoom(),
                   canvas: [width, height], services: checked.sort(), problems: problems};
    verdict.clicks = clickThrough();
    verdict.errors = window.pageErrors.slice();
    document.getElementById("selfcheck").textContent = JSON.stringify(verdict);
  }

  /* What a reader's clicks show: the first service (by name) with findings, its panel, its first finding's
     evidence; and the findings list filtered to one rule. */
  function clickThrough() {
    var texts = function (list) { return Array.prototype.map.call(list, function (e) { return e.textContent; }); };
    var target = cy.nodes().filter(function (n) {
      return n.data("kind") === "service" && findingsOf(currentView(), indexOf(n)).length > 0; })
      .sort(function (a, b) { return a.data("label") < b.data("label") ? -1 : 1; })[0];
    if (!target) { return null; }
    target.emit("tap");
    var box = document.getElementById("panel");
    var items = box.querySelectorAll("li.finding");
    var heads = Array.prototype.map.call(items, function (li) { return li.firstChild.textContent; });
    items[0].click();
    var lines = texts(items[0].querySelectorAll(".evidence > div"));
    var rule = data.findings.length ? data.findings[0].rule : "";
    var pick = document.getElementById("f-rule");
    pick.value = rule;
    pick.dispatchEvent(new Event("change"));
    var shown = document.querySelectorAll("#findings tbody tr.finding:not([hidden])").length;
    pick.value = "";
    pick.dispatchEvent(new Event("change"));
    return {node: target.data("label"), title: box.querySelector("h3").textContent, findings: heads,
            evidence: lines, rule: rule, rule_rows: shown};
  }

  function start() {
    toolbar();
    findingsTable();
    if (!data.views.length) {
      document.getElementById("graph-section").hidden = true;
    } else if (typeof cytoscape !== "function") {
      var warn = document.getElementById("g-error");
      warn.textContent = "The graph library did not load; the findings below are complete.";
      warn.hidden = false;
    } else {
      draw();  // cytoscape-dagre registered its layout when it loaded
    }
    filterFindings();
    if (location.hash === "#selftest" && (cy || !data.views.length)) { selfCheck(); }
  }

  try {
    start();
  } catch (e) {
    window.pageErrors.push(String(e && e.stack || e));
    throw e;
  } finally {
    if (location.hash === "#selftest" && !document.getElementById("selfcheck").textContent) {
      document.getElementById("selfcheck").textContent = JSON.stringify({errors: window.pageErrors.slice(),
                                                                        problems: ["the page did not draw"]});
    }
  }
})();
