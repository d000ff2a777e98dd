// stallscope's HTML report: draws the swimlanes, latency charts and LCP bars from the JSON
// embedded in the page (#report-data: the --format json report; #series-data: the series of
// each input, see src/report/html/series.rs). Plain JavaScript, no library, no network.
// Errors are counted into <html data-errors> and listed in #js-errors, so a headless browser's
// DOM shows them; <html data-ready="1"> once everything is drawn.
"use strict";
(function () {
  var root = document.documentElement;
  var errors = [];
  function fail(msg) {
    errors.push(String(msg));
    root.setAttribute("data-errors", String(errors.length));
    var pre = document.getElementById("js-errors");
    if (!pre) {
      pre = document.createElement("pre");
      pre.id = "js-errors";
      document.body.appendChild(pre);
    }
    pre.textContent = errors.join("\n");
  }
  window.addEventListener("error", function (e) { fail(e.message || "error"); });
  window.addEventListener("unhandledrejection", function (e) { fail("unhandled rejection: " + e.reason); });
  var consoleError = console.error;
  console.error = function () {
    fail(Array.prototype.join.call(arguments, " "));
    consoleError.apply(console, arguments);
  };

  var SVGNS = (function () {
    var d = document.createElement("div");
    d.innerHTML = "<svg></svg>";
    return d.firstChild.namespaceURI;
  })();
  var LW = 190; // label column, px
  var tip = null;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function dur(ms) {
    if (ms >= 1000) return (ms / 1000).toFixed(2) + " s";
    if (ms >= 10) return ms.toFixed(0) + " ms";
    if (ms >= 1) return ms.toFixed(1) + " ms";
    return (ms * 1000).toFixed(0) + " \u00b5s";
  }
  function f(v) { return Math.round(v * 10) / 10; }
  function svg(w, h, body, cls) {
    return '<svg class="' + cls + '" width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + " " + h + '">' + body + "</svg>";
  }
  function ticks(t0, t1, px) {
    var span = t1 - t0, want = Math.max(2, Math.floor(px / 110));
    var raw = span / want, p = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (m) { return m * p; }).find(function (s) { return s >= raw; });
    var out = [];
    for (var t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push([t, step]);
    return out;
  }
  // An axis label: seconds with as many decimals as the step needs, or ms for short steps.
  function tickLabel(t, step, end) {
    if (step >= 1000 || end >= 1000 && step >= 100) {
      var d = step >= 1000 ? 0 : step >= 100 ? 1 : 2;
      if (step >= 1000 && step % 1000 !== 0) d = 1;
      return (t / 1000).toFixed(d) + " s";
    }
    var dm = step >= 1 ? 0 : step >= 0.1 ? 1 : 2;
    return t.toFixed(dm) + " ms";
  }
  function showTip(ev, lines) {
    tip.innerHTML = lines.map(function (l) { return "<div>" + esc(l) + "</div>"; }).join("");
    tip.hidden = false;
    var x = ev.clientX + 14, y = ev.clientY + 14;
    var r = tip.getBoundingClientRect();
    if (x + r.width > window.innerWidth) x = ev.clientX - r.width - 10;
    if (y + r.height > window.innerHeight) y = ev.clientY - r.height - 10;
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  function hideTip() { tip.hidden = true; }

  // One input: its series, the shared view (time range shown) and the selected episode.
  function Input(series, report, index) {
    this.s = series;
    this.report = report;
    this.index = index;
    this.t0 = 0;
    this.t1 = Math.max(series.end_ms, 0.01);
    this.sel = -1;
    this.tl = document.querySelector('.timeline[data-series="' + index + '"]');
    this.lat = document.querySelector('.latency[data-series="' + index + '"]');
    this.selBox = document.querySelector('.selection[data-series="' + index + '"]');
    this.width = Math.max(700, (this.tl && this.tl.clientWidth) || 1100);
    this.pw = this.width - LW - 12;
  }
  Input.prototype.x = function (t) { return LW + (t - this.t0) / (this.t1 - this.t0) * this.pw; };
  Input.prototype.t = function (px) { return this.t0 + (px - LW) / this.pw * (this.t1 - this.t0); };
  Input.prototype.visible = function (a, b) { return b >= this.t0 && a <= this.t1; };
  Input.prototype.span = function (a, b) {
    var x0 = Math.max(LW, this.x(a)), x1 = Math.min(LW + this.pw, this.x(b));
    return [f(x0), f(Math.max(1, x1 - x0))];
  };
  Input.prototype.zoom = function (factor, at) {
    var end = Math.max(this.s.end_ms, 0.01), w = (this.t1 - this.t0) * factor;
    w = Math.min(end, Math.max(w, 0.05));
    var c = at === undefined ? (this.t0 + this.t1) / 2 : at;
    var r = (c - this.t0) / (this.t1 - this.t0);
    this.setView(c - r * w, c - r * w + w);
  };
  Input.prototype.setView = function (a, b) {
    var end = Math.max(this.s.end_ms, 0.01), w = b - a;
    if (a < 0) { a = 0; b = w; }
    if (b > end) { b = end; a = Math.max(0, end - w); }
    this.t0 = a;
    this.t1 = b;
    this.draw();
  };
  Input.prototype.bands = function (top, h, cls) {
    var out = "", self = this;
    this.s.episodes.forEach(function (e, i) {
      if (!self.visible(e.start_ms, e.end_ms)) return;
      var sp = self.span(e.start_ms, e.end_ms);
      out += '<rect class="' + cls + (i === self.sel ? " sel" : "") + '" data-k="e' + i + '" x="' + sp[0] + '" y="' + top + '" width="' + sp[1] + '" height="' + h + '"/>';
    });
    return out;
  };
  Input.prototype.axis = function (y) {
    var self = this, out = "";
    ticks(this.t0, this.t1, this.pw).forEach(function (ts) {
      var x = f(self.x(ts[0]));
      out += '<line class="tick" x1="' + x + '" x2="' + x + '" y1="' + (y - 4) + '" y2="' + y + '"/>';
      out += '<text class="tick" x="' + x + '" y="' + (y - 6) + '">' + esc(tickLabel(ts[0], ts[1], self.t1)) + "</text>";
    });
    return out;
  };
  Input.prototype.binRects = function (bins, top, h, cls, scale) {
    var n = bins.length, bw = this.s.end_ms / n, out = "";
    var i0 = Math.max(0, Math.floor(this.t0 / bw)), i1 = Math.min(n, Math.ceil(this.t1 / bw));
    for (var i = i0; i < i1; i++) {
      var v = bins[i];
      if (!(v > 0)) continue;
      var sp = this.span(i * bw, (i + 1) * bw);
      out += '<rect class="' + cls + '" x="' + sp[0] + '" y="' + top + '" width="' + sp[1] + '" height="' + h + '" fill-opacity="' + Math.min(1, Math.max(0.08, v / scale)).toFixed(2) + '"/>';
    }
    return out;
  };

  var LANE = 24, EPROW = 20, AXIS = 22, FLOW = 18;
  Input.prototype.drawTimeline = function () {
    var s = this.s, self = this, body = "";
    var flows = s.endpoints;
    var h = EPROW + AXIS + s.lanes.length * LANE + flows.length * FLOW + 6;
    var lanesTop = EPROW + AXIS;
    body += '<rect class="bg" x="0" y="0" width="' + this.width + '" height="' + h + '"/>';
    body += this.bands(lanesTop, h - lanesTop, "band");
    body += '<text class="label" x="4" y="14">episodes</text>';
    s.episodes.forEach(function (e, i) {
      if (!self.visible(e.start_ms, e.end_ms)) return;
      var sp = self.span(e.start_ms, e.end_ms);
      body += '<rect class="ep' + (i === self.sel ? " sel" : "") + '" data-k="e' + i + '" x="' + sp[0] + '" y="3" width="' + sp[1] + '" height="14"/>';
      if (sp[1] > 14) body += '<text class="epn" data-k="e' + i + '" x="' + (sp[0] + 3) + '" y="14">' + e.number + "</text>";
    });
    body += this.axis(EPROW + AXIS - 2);
    s.lanes.forEach(function (l, li) {
      var top = lanesTop + li * LANE, inner = "";
      inner += '<text class="label" x="4" y="' + (top + 16) + '">' + esc(l.name.length > 28 ? l.name.slice(0, 27) + "\u2026" : l.name) + "</text>";
      inner += '<line class="sep" x1="0" x2="' + self.width + '" y1="' + (top + LANE) + '" y2="' + (top + LANE) + '"/>';
      if (l.busy) {
        l.busy.forEach(function (b) {
          if (!self.visible(b[0], b[1])) return;
          var sp = self.span(b[0], b[1]);
          inner += '<rect class="poll" x="' + sp[0] + '" y="' + (top + 7) + '" width="' + sp[1] + '" height="10"/>';
        });
      }
      if (l.busy_bins) {
        var max = l.kind === "pool" ? Math.max.apply(null, l.busy_bins.concat([1])) : 1;
        inner += self.binRects(l.busy_bins, top + (l.kind === "pool" ? 4 : 7), l.kind === "pool" ? 16 : 10, l.kind === "pool" ? "pool" : "poll", max);
      }
      if (l.stall_bins) inner += self.binRects(l.stall_bins, top + 3, 18, "stallbin", 1);
      s.stalls.forEach(function (st, si) {
        if (st[0] !== li || !self.visible(st[1], st[1] + st[2])) return;
        var sp = self.span(st[1], st[1] + st[2]);
        var sel = st[5] >= 0 && self.s.episodes[self.sel] && self.s.episodes[self.sel].number === st[5] + 1;
        inner += '<rect class="stall' + (sel ? " sel" : "") + '" data-k="s' + si + '" x="' + sp[0] + '" y="' + (top + 3) + '" width="' + sp[1] + '" height="18"/>';
      });
      body += '<g class="lane lane-' + l.kind + '" data-name="' + esc(l.name) + '">' + inner + "</g>";
    });
    (s.navigations || []).forEach(function (n, ni) {
      [[n[0], "nav", "navigation"], [n[1], "lcpmark", "LCP"]].forEach(function (m) {
        if (m[0] < 0 || !self.visible(m[0], m[0])) return;
        var x = f(self.x(m[0]));
        body += '<line class="' + m[1] + '" data-k="n' + ni + '" x1="' + x + '" x2="' + x + '" y1="' + lanesTop + '" y2="' + h + '"/>';
        body += '<text class="' + m[1] + 't" x="' + (x + 2) + '" y="' + (lanesTop + 9) + '">' + m[2] + "</text>";
      });
    });
    var flowTop = lanesTop + s.lanes.length * LANE;
    var victims = this.victimSet();
    flows.forEach(function (ep, k) {
      var top = flowTop + k * FLOW, inner = "";
      inner += '<text class="label small" x="4" y="' + (top + 13) + '">' + esc(ep.name.length > 30 ? ep.name.slice(0, 29) + "\u2026" : ep.name) + "</text>";
      var max = Math.max.apply(null, ep.in_flight.concat([0.0001]));
      inner += self.binRects(ep.in_flight, top + 3, 12, "flow", max);
      ep.points.forEach(function (p, pi) {
        if (!victims[k + ":" + pi] || !self.visible(p[0], p[0] + p[1])) return;
        var sp = self.span(p[0], p[0] + p[1]);
        inner += '<rect class="victim" data-k="p' + k + ":" + pi + '" x="' + sp[0] + '" y="' + (top + 6) + '" width="' + sp[1] + '" height="6"/>';
      });
      body += '<g class="flowrow" data-endpoint="' + esc(ep.name) + '">' + inner + "</g>";
    });
    this.tl.innerHTML = svg(this.width, h, body, "tl");
    this.tl.setAttribute("data-lanes", String(s.lanes.filter(function (l) { return l.kind !== "pool"; }).length));
  };

  Input.prototype.victimSet = function () {
    var set = {}, e = this.s.episodes[this.sel];
    if (e) e.victims.forEach(function (v) { set[v[0] + ":" + v[1]] = true; });
    return set;
  };

  Input.prototype.rowFor = function (name) {
    var path = this.s.input, rep = this.report;
    var v = (rep.verdicts || []).find(function (v) { return v.input === path && v.endpoint === name; });
    if (v) return { p50: v.p50_ms, p95: v.p95_ms, verdict: v.row.verdict };
    var fe = (rep.fast_endpoints || []).find(function (v) { return v.input === path && v.endpoint === name; });
    if (fe) return { p50: fe.p50_ms, p95: fe.p95_ms, verdict: "fast" };
    return null;
  };

  var CH = 150, PAD = 16;
  Input.prototype.drawLatency = function () {
    var self = this, victims = this.victimSet(), html = "";
    if (!this.s.endpoints.length) {
      this.lat.innerHTML = "<p>No requests in this input.</p>";
      return;
    }
    if (this.s.value !== "duration") {
      this.lat.innerHTML = this.waitChart();
      return;
    }
    this.s.endpoints.forEach(function (ep, k) {
      var ymax = 0.001;
      ep.points.forEach(function (p) { if (p[1] > ymax) ymax = p[1]; });
      ep.pct.forEach(function (p) { if (p[2] > ymax) ymax = p[2]; });
      ymax *= 1.05;
      var y = function (v) { return f(CH - PAD - v / ymax * (CH - 2 * PAD)); };
      var body = '<rect class="bg" x="0" y="0" width="' + self.width + '" height="' + CH + '"/>';
      body += self.bands(PAD, CH - 2 * PAD, "band");
      [0, 0.5, 1].forEach(function (q) {
        var yy = y(q * ymax);
        body += '<line class="grid" x1="' + LW + '" x2="' + (LW + self.pw) + '" y1="' + yy + '" y2="' + yy + '"/>';
        body += '<text class="ylab" x="' + (LW - 6) + '" y="' + (yy + 4) + '">' + esc(q ? dur(q * ymax) : "0") + "</text>";
      });
      ep.points.forEach(function (p, pi) {
        if (p[0] < self.t0 || p[0] > self.t1) return;
        var cls = p[2] & 2 ? "pt culprit" : p[2] & 1 ? "pt delayed" : "pt";
        if (victims[k + ":" + pi]) cls += " sel";
        body += '<circle class="' + cls + '" data-k="p' + k + ":" + pi + '" cx="' + f(self.x(p[0])) + '" cy="' + y(p[1]) + '" r="' + (victims[k + ":" + pi] ? 4 : 2.2) + '"/>';
      });
      [[1, "p50"], [2, "p95"]].forEach(function (q) {
        var pts = ep.pct.filter(function (p) { return p[0] >= self.t0 && p[0] <= self.t1; })
          .map(function (p) { return f(self.x(p[0])) + "," + y(p[q[0]]); });
        if (pts.length > 1) body += '<polyline class="' + q[1] + '" points="' + pts.join(" ") + '"/>';
        else if (pts.length === 1) body += '<circle class="' + q[1] + 'dot" cx="' + pts[0].split(",")[0] + '" cy="' + pts[0].split(",")[1] + '" r="3"/>';
      });
      var row = self.rowFor(ep.name);
      var head = "<b>" + esc(ep.name) + "</b> " + ep.requests + " requests" + (self.s.value !== "duration" ? ", " + esc(self.s.value) : "") + (ep.points.length < ep.requests ? " (" + ep.points.length + " drawn)" : "");
      if (row) head += '; <span class="p50">p50 ' + esc(String(row.p50)) + ' ms</span>, <span class="p95">p95 ' + esc(String(row.p95)) + " ms</span>";
      html += '<div class="epchart" data-endpoint="' + esc(ep.name) + '"' + (row ? ' data-p50="' + row.p50 + '" data-p95="' + row.p95 + '"' : "") + "><div class=\"ephead\">" + head + "</div>" + svg(self.width, CH, body, "lat") + "</div>";
    });
    html += '<p class="legend"><span class="k pt"></span> request <span class="k delayed"></span> delayed by a stall episode <span class="k culprit"></span> ran a stall <span class="k p50l"></span> p50 <span class="k p95l"></span> p95 (per time bin) <span class="k bandk"></span> stall episode</p>';
    this.lat.innerHTML = html;
  };

  // A browser's requests: one chart of every request's server wait, those at or over --slow
  // marked, with the threshold drawn.
  Input.prototype.waitChart = function () {
    var self = this, slow = this.report.settings.slow_ms, ymax = slow * 1.2, n = 0, over = 0;
    this.s.endpoints.forEach(function (ep) {
      ep.points.forEach(function (p) { if (p[1] > ymax) ymax = p[1] * 1.05; });
    });
    var y = function (v) { return f(CH - PAD - v / ymax * (CH - 2 * PAD)); };
    var body = '<rect class="bg" x="0" y="0" width="' + this.width + '" height="' + CH + '"/>';
    [0, 0.5, 1].forEach(function (q) {
      var yy = y(q * ymax);
      body += '<line class="grid" x1="' + LW + '" x2="' + (LW + self.pw) + '" y1="' + yy + '" y2="' + yy + '"/>';
      body += '<text class="ylab" x="' + (LW - 6) + '" y="' + (yy + 4) + '">' + esc(q ? dur(q * ymax) : "0") + "</text>";
    });
    body += '<line class="slowline" x1="' + LW + '" x2="' + (LW + self.pw) + '" y1="' + y(slow) + '" y2="' + y(slow) + '"/>';
    body += '<text class="slowt" x="' + (LW + self.pw - 4) + '" y="' + (y(slow) - 4) + '">--slow ' + esc(dur(slow)) + "</text>";
    this.s.endpoints.forEach(function (ep, k) {
      ep.points.forEach(function (p, pi) {
        n++;
        if (p[0] < self.t0 || p[0] > self.t1) return;
        var hot = p[1] >= slow;
        if (hot) over++;
        body += '<circle class="pt' + (hot ? " culprit" : "") + '" data-k="p' + k + ":" + pi + '" cx="' + f(self.x(p[0])) + '" cy="' + y(p[1]) + '" r="3"/>';
      });
    });
    return '<div class="epchart waits" data-requests="' + n + '"><div class="ephead"><b>Server wait of each request the browser made</b> (' + n + " requests, " + over + " at or over --slow in view)</div>" + svg(this.width, CH, body, "lat") + "</div>" +
      '<p class="legend"><span class="k pt"></span> request <span class="k culprit"></span> server wait at or over --slow (hover for its URL)</p>';
  };

  Input.prototype.drawSelection = function () {
    var e = this.s.episodes[this.sel];
    if (!e) {
      this.selBox.innerHTML = "";
      return;
    }
    var s = this.s, per = {};
    e.victims.forEach(function (v) { var n = s.endpoints[v[0]].name; per[n] = (per[n] || 0) + 1; });
    var list = Object.keys(per).map(function (n) { return esc(n) + " \u00d7" + per[n]; }).join(", ");
    var worst = e.victims.map(function (v) { var p = s.endpoints[v[0]].points[v[1]]; return [s.endpoints[v[0]].name, p]; })
      .sort(function (a, b) { return b[1][1] - a[1][1]; }).slice(0, 5)
      .map(function (w) { return "<li>" + esc(w[0]) + " at " + esc(dur(w[1][0])) + ": " + esc(dur(w[1][1])) + "</li>"; }).join("");
    this.selBox.innerHTML = '<div class="selbox" data-episode="' + e.number + '" data-victims="' + e.victims.length + '"><b>Episode ' + e.number + "</b>: " + esc(e.line) +
      "<br>Selected: " + e.victims.length + " delayed requests drawn" + (e.victims_total > e.victims.length ? " of " + e.victims_total : "") +
      (list ? " (" + list + ")" : "") + (worst ? "; the slowest:<ul>" + worst + "</ul>" : "") + ' <button type="button" class="clear">clear</button></div>';
  };

  Input.prototype.draw = function () {
    this.drawTimeline();
    this.drawLatency();
    this.drawSelection();
  };

  Input.prototype.describe = function (k) {
    var s = this.s;
    if (k[0] === "s") {
      var st = s.stalls[+k.slice(1)], lane = s.lanes[st[0]];
      var lines = [s.names[st[3]], dur(st[2]) + " at " + dur(st[1]) + " on " + lane.name];
      lines.push(st[4] > 0 ? "delayed " + st[4] + " requests in flight" : "delayed no request in flight");
      var ep = s.episodes.find(function (e) { return e.number === st[5] + 1; });
      if (ep) lines.push("episode " + ep.number + ": " + ep.line);
      return lines;
    }
    if (k[0] === "e") {
      var e = s.episodes[+k.slice(1)];
      return ["episode " + e.number + " (click to select its victims)", e.line];
    }
    if (k[0] === "n") {
      var nv = s.navigations[+k.slice(1)];
      return ["navigation to " + nv[2], "started at " + dur(nv[0]) + (nv[1] >= 0 ? ", LCP at " + dur(nv[1]) + " (" + dur(nv[1] - nv[0]) + " after its start)" : ", no LCP")];
    }
    if (k[0] === "p") {
      var kk = k.slice(1).split(":"), ept = s.endpoints[+kk[0]], p = ept.points[+kk[1]];
      var l = [ept.name, s.value + " " + dur(p[1]) + ", started at " + dur(p[0])];
      if (p[2] & 1) l.push("delayed by a stall episode");
      if (p[2] & 2) l.push("ran a stall");
      if (p[2] & 4) l.push("cut off by the end of the trace");
      return l;
    }
    return null;
  };

  Input.prototype.wire = function () {
    var self = this;
    [this.tl, this.lat].forEach(function (el) {
      el.addEventListener("mousemove", function (ev) {
        if (self.drag) return;
        var k = ev.target.getAttribute && ev.target.getAttribute("data-k");
        var lines = k && self.describe(k);
        if (lines) showTip(ev, lines); else hideTip();
      });
      el.addEventListener("mouseleave", hideTip);
      el.addEventListener("wheel", function (ev) {
        var r = el.getBoundingClientRect(), px = ev.clientX - r.left;
        if (px < LW) return;
        ev.preventDefault();
        self.zoom(ev.deltaY < 0 ? 0.8 : 1.25, self.t(px));
      }, { passive: false });
      el.addEventListener("mousedown", function (ev) {
        self.drag = { x: ev.clientX, t0: self.t0, t1: self.t1, moved: false };
      });
      el.addEventListener("click", function (ev) {
        if (ev.target.classList && ev.target.classList.contains("clear")) { self.select(-1); return; }
        var k = ev.target.getAttribute && ev.target.getAttribute("data-k");
        if (k && k[0] === "e") self.select(+k.slice(1));
        else if (k && k[0] === "s") {
          var n = self.s.stalls[+k.slice(1)][5];
          self.select(self.s.episodes.findIndex(function (e) { return e.number === n + 1; }));
        }
      });
    });
    this.selBox.addEventListener("click", function (ev) {
      if (ev.target.classList.contains("clear")) self.select(-1);
    });
    window.addEventListener("mousemove", function (ev) {
      if (!self.drag) return;
      var dx = ev.clientX - self.drag.x;
      if (Math.abs(dx) > 2) self.drag.moved = true;
      if (!self.drag.moved) return;
      var dt = dx / self.pw * (self.drag.t1 - self.drag.t0);
      self.setView(self.drag.t0 - dt, self.drag.t1 - dt);
    });
    window.addEventListener("mouseup", function () { self.drag = null; });
    window.addEventListener("resize", function () {
      var w = Math.max(700, self.tl.clientWidth || 1100);
      if (w === self.width) return;
      self.width = w;
      self.pw = w - LW - 12;
      self.draw();
    });
    this.tl.addEventListener("keydown", function (ev) {
      var w = self.t1 - self.t0, used = true;
      if (ev.key === "+" || ev.key === "=") self.zoom(0.8);
      else if (ev.key === "-" || ev.key === "_") self.zoom(1.25);
      else if (ev.key === "ArrowLeft") self.setView(self.t0 - w * 0.1, self.t1 - w * 0.1);
      else if (ev.key === "ArrowRight") self.setView(self.t0 + w * 0.1, self.t1 + w * 0.1);
      else if (ev.key === "0" || ev.key === "Home") self.setView(0, self.s.end_ms);
      else if (ev.key === "Escape") self.select(-1);
      else used = false;
      if (used) ev.preventDefault();
    });
  };
  Input.prototype.select = function (i) {
    this.sel = i === this.sel ? -1 : i;
    this.draw();
  };

  // LCP of each navigation as a stacked bar of its subparts.
  function drawLcp(report) {
    var box = document.querySelector(".lcp");
    if (!box) return;
    var navs = (report.navigations || []).filter(function (n) { return n.lcp_ms !== null && n.phases; });
    if (!navs.length) return;
    var W = Math.max(700, box.clientWidth || 1100), max = 0, body = "", y = 4;
    navs.forEach(function (n) { if (n.lcp_ms > max) max = n.lcp_ms; });
    var scale = (W - 20) / max;
    navs.forEach(function (n, i) {
      var p = n.phases, x = 10;
      var parts = [["ttfb", "TTFB", p.ttfb_ms], ["ldelay", "load delay", p.load_delay_ms], ["ldur", "load duration", p.load_duration_ms], ["rdelay", "render delay", p.render_delay_ms]];
      body += '<text class="navurl" x="10" y="' + (y + 12) + '">' + esc(n.url) + " \u2014 LCP " + esc(dur(n.lcp_ms)) + " (" + esc(n.lcp_type || "?") + ")</text>";
      y += 18;
      parts.forEach(function (q) {
        if (q[2] === null || q[2] === undefined) return;
        var w = q[2] * scale;
        body += '<rect class="lcp-' + q[0] + '" data-nav="' + i + '" x="' + f(x) + '" y="' + y + '" width="' + f(Math.max(0, w)) + '" height="20"><title>' + esc(q[1] + " " + dur(q[2])) + "</title></rect>";
        var label = q[1] + " " + dur(q[2]);
        // Only where it fits (about 6.5 px a character at 11 px).
        if (w > label.length * 6.5 + 8) body += '<text class="inbar" x="' + f(x + 4) + '" y="' + (y + 14) + '">' + esc(label) + "</text>";
        x += w;
      });
      y += 30;
    });
    box.innerHTML = svg(W, y, body, "lcpbars") + '<p class="legend"><span class="k lcp-ttfb"></span> TTFB <span class="k lcp-ldelay"></span> load delay <span class="k lcp-ldur"></span> load duration <span class="k lcp-rdelay"></span> render delay</p>';
    box.setAttribute("data-navigations", String(navs.length));
  }

  function main() {
    tip = document.getElementById("tip");
    var report = JSON.parse(document.getElementById("report-data").textContent);
    var series = JSON.parse(document.getElementById("series-data").textContent);
    var lanes = 0, want = /episode=(\d+)/.exec(location.hash || "");
    series.forEach(function (s, i) {
      var inp = new Input(s, report, i);
      if (!inp.tl || !inp.lat) return;
      inp.draw();
      inp.wire();
      lanes += s.lanes.filter(function (l) { return l.kind !== "pool"; }).length;
      // #episode=N in the address selects episode N (as numbered in the report) on load.
      var at = want ? s.episodes.findIndex(function (e) { return e.number === +want[1]; }) : -1;
      if (at >= 0) {
        inp.select(at);
        want = null;
      }
      // #view=A-B (ms from the trace's start) opens zoomed in on that range.
      var view = /view=([0-9.]+)-([0-9.]+)/.exec(location.hash || "");
      if (view && +view[2] > +view[1]) inp.setView(+view[1], +view[2]);
    });
    drawLcp(report);
    root.setAttribute("data-verdicts", String((report.verdicts || []).length));
    root.setAttribute("data-lanes", String(lanes));
  }

  try {
    main();
    root.setAttribute("data-ready", "1");
  } catch (e) {
    fail((e && e.stack) || e);
  }
})();
