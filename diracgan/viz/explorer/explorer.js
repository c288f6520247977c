// The Dirac-GAN explorer.  Before this file the page defines DG: the numeric helpers, DG.CONFIG
// and DG.ENTRIES, one entry per game, whose `field` function and eigenvalue `value` functions are
// printed from the sympy derivation by diracgan (diracgan/derivation/javascript.py).  Nothing in
// this file knows any game's formula.
(function () {
  "use strict";

  var ENTRIES = {};
  DG.ENTRIES.forEach(function (e) { ENTRIES[e.meta.name] = e; });
  var NAMES = DG.ENTRIES.map(function (e) { return e.meta.name; });

  // ------------------------------------------------------------------ parameters and field
  function entryOf(game) {
    var e = ENTRIES[game];
    if (!e) { throw new Error("unknown game " + JSON.stringify(game) + "; choose one of: " + NAMES.join(", ")); }
    return e;
  }

  // Parameter values in the entry's order from an object by name (defaults fill the gaps) or an array.
  function paramVector(e, params) {
    var specs = e.meta.params, q = [];
    if (Array.isArray(params)) {
      if (params.length !== specs.length) {
        throw new Error(e.meta.name + " takes " + specs.length + " parameter(s), got " + params.length);
      }
      q = params.map(Number);
    } else {
      params = params || {};
      Object.keys(params).forEach(function (k) {
        if (!specs.some(function (p) { return p.name === k; })) {
          throw new Error(e.meta.name + " has no parameter '" + k + "'");
        }
      });
      q = specs.map(function (p) { return p.name in params ? Number(params[p.name]) : p.default; });
    }
    specs.forEach(function (p, i) {
      var x = q[i];
      if (!isFinite(x) || x < p.lower || (p.lowerOpen && x === p.lower)) {
        throw new Error(p.symbol + " (" + p.name + ") of " + e.meta.name + " must be finite and " +
          (p.lowerOpen ? "> " : "≥ ") + p.lower + ", got " + x);
      }
    });
    return q;
  }

  function dot(u, v) { var s = 0; for (var i = 0; i < u.length; i++) { s += u[i] * v[i]; } return s; }

  // θ' = g_θθ θ + g_θφ φ,  φ' = g_φθ θ + g_φφ φ  with the generated coefficients.
  function velocity(e, q, theta, phi) {
    var g = e.field(dot(theta, phi), dot(theta, theta), dot(phi, phi), q);
    var d = theta.length, dth = new Array(d), dph = new Array(d);
    for (var i = 0; i < d; i++) {
      dth[i] = g[0] * theta[i] + g[1] * phi[i];
      dph[i] = g[2] * theta[i] + g[3] * phi[i];
    }
    return [dth, dph];
  }

  function allFinite(v) { for (var i = 0; i < v.length; i++) { if (!isFinite(v[i])) { return false; } } return true; }
  function norm(v) { return Math.sqrt(dot(v, v)); }

  // ------------------------------------------------------------------ Dormand–Prince 5(4)
  // Hairer, Nørsett & Wanner, Solving ODEs I, II.5 (DOPRI5): the 5th-order solution is
  // propagated, the embedded 4th-order one gives the error estimate; dense output by the
  // method's continuous extension (contd5).  Error norm: RMS of e_i / (atol + rtol·max(|y_i|, |y_new_i|)).
  var C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1];
  var AA = [[], [1 / 5], [3 / 40, 9 / 40], [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84]];
  var EE = [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40];
  var DD = [-12715105075 / 11282082432, 0, 87487479700 / 32700410799, -10690763975 / 1880347072,
    701980252875 / 199316789632, -1453857185 / 822651844, 69997945 / 29380423];

  function dopri5(f, y0, tMax, opt) {
    var rtol = opt.rtol, atol = opt.atol, nOut = opt.samples, bound = opt.bound, maxSteps = opt.maxSteps;
    var n = y0.length, t = 0, y = y0.slice(), nfev = 0, steps = 0;
    var tOut = [], yOut = [];
    for (var j = 0; j < nOut; j++) { tOut.push(j === nOut - 1 ? tMax : tMax * j / (nOut - 1)); }
    function F(z) { nfev++; return f(z); }
    function done(status, message) {
      return { t: tOut.slice(0, yOut.length), y: yOut, tEnd: t, yEnd: y, status: status, message: message,
        nfev: nfev, steps: steps };
    }
    yOut.push(y.slice());
    var k1 = F(y);
    if (!allFinite(k1) || !allFinite(y)) { return done("singular", "the field is not finite at the start"); }
    if (norm(y) >= bound) { return done("diverged", "the start's norm is ≥ the bound"); }
    // Initial step (Hairer's heuristic, as scipy's select_initial_step).
    var sc = y.map(function (v) { return atol + rtol * Math.abs(v); });
    function rms(v, s) { var a = 0; for (var i = 0; i < n; i++) { a += (v[i] / s[i]) * (v[i] / s[i]); } return Math.sqrt(a / n); }
    var d0 = rms(y, sc), d1 = rms(k1, sc);
    var h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
    var y1 = y.map(function (v, i) { return v + h0 * k1[i]; }), f1 = F(y1);
    var d2 = rms(f1.map(function (v, i) { return v - k1[i]; }), sc) / h0;
    var h1 = (!(Math.max(d1, d2) > 1e-15)) ? Math.max(1e-6, h0 * 1e-3) : Math.pow(0.01 / Math.max(d1, d2), 1 / 5);
    var h = Math.min(100 * h0, isFinite(h1) ? h1 : 100 * h0, tMax);
    var jNext = 1, K = new Array(7), ys = new Array(n), ynew = new Array(n), err = new Array(n);
    while (t < tMax) {
      if (steps >= maxSteps) { return done("failed", "stopped after " + maxSteps + " steps at t = " + fmtG(t, 4) + " (stiff, near a singular point?)"); }
      if (h > tMax - t) { h = tMax - t; }
      if (h <= 10 * 2.220446049250313e-16 * Math.max(1, Math.abs(t))) {
        return done("singular", "the step size fell below machine precision (a singular point?)");
      }
      K[0] = k1;
      var ok = true;
      for (var s = 1; s < 7 && ok; s++) {
        for (var i = 0; i < n; i++) {
          var acc = y[i];
          for (var m = 0; m < s; m++) { acc += h * AA[s][m] * K[m][i]; }
          ys[i] = acc;
        }
        if (s === 6) { for (i = 0; i < n; i++) { ynew[i] = ys[i]; } }
        K[s] = F(ys.slice());
        if (!allFinite(K[s])) { ok = false; }
      }
      var en = Infinity;
      if (ok) {
        en = 0;
        for (i = 0; i < n; i++) {
          var e = 0;
          for (m = 0; m < 7; m++) { e += EE[m] * K[m][i]; }
          e *= h;
          var scale = atol + rtol * Math.max(Math.abs(y[i]), Math.abs(ynew[i]));
          en += (e / scale) * (e / scale);
        }
        en = Math.sqrt(en / n);
      }
      if (!(en <= 1)) {                     // rejected (or a non-finite stage): shrink
        h *= isFinite(en) ? Math.max(0.2, 0.9 * Math.pow(en, -0.2)) : 0.2;
        continue;
      }
      steps++;
      var tNew = (h === tMax - t) ? tMax : t + h;
      // Dense output on (t, tNew].
      while (jNext < nOut && tOut[jNext] <= tNew) {
        if (tOut[jNext] === tNew) { yOut.push(ynew.slice()); jNext++; continue; }
        var th = (tOut[jNext] - t) / h, th1 = 1 - th, yo = new Array(n);
        for (i = 0; i < n; i++) {
          var ydiff = ynew[i] - y[i], bspl = h * K[0][i] - ydiff;
          var r5 = 0;
          for (m = 0; m < 7; m++) { r5 += DD[m] * K[m][i]; }
          r5 *= h;
          yo[i] = y[i] + th * (ydiff + th1 * (bspl + th * (ydiff - h * K[6][i] - bspl + th1 * r5)));
        }
        yOut.push(yo);
        jNext++;
      }
      t = tNew;
      y = ynew.slice();
      k1 = K[6];
      h *= en === 0 ? 10 : Math.min(10, 0.9 * Math.pow(en, -0.2));
      if (!(norm(y) < bound)) { return done("diverged", "‖(θ, φ)‖ reached " + bound + " at t = " + fmtG(t, 4)); }
    }
    return done("finished", "reached t = " + fmtG(tMax, 6));
  }

  function simulate(game, params, theta0, phi0, tMax, options) {
    var e = entryOf(game);
    if (e.meta.discreteOnly) { throw new Error(game + " is defined only in discrete time (a projection step)"); }
    var q = paramVector(e, params), d = theta0.length;
    if (phi0.length !== d) { throw new Error("θ and φ starts must have the same dimension"); }
    options = options || {};
    var opt = { rtol: options.rtol || DG.CONFIG.rtol, atol: options.atol || DG.CONFIG.atol,
      samples: options.samples || 1001, bound: options.bound || 1e6, maxSteps: options.maxSteps || 500000 };
    var f = function (z) {
      var v = velocity(e, q, z.slice(0, d), z.slice(d));
      return v[0].concat(v[1]);
    };
    var r = dopri5(f, theta0.map(Number).concat(phi0.map(Number)), Number(tMax), opt);
    return {
      game: game, params: q, t: r.t, rtol: opt.rtol, atol: opt.atol,
      theta: r.y.map(function (z) { return z.slice(0, d); }), phi: r.y.map(function (z) { return z.slice(d); }),
      tEnd: r.tEnd, thetaEnd: r.yEnd.slice(0, d), phiEnd: r.yEnd.slice(d),
      status: r.status, message: r.message, nfev: r.nfev, steps: r.steps
    };
  }

  // ------------------------------------------------------------------ discrete training
  // torch.optim.SGD with momentum μ (dampening 0): b ← g on the first step, then b ← μ b + g;
  // p ← p − lr·b.  Gradients from the generated field: ∇_θ L_G = −θ', ∇_φ L_D = −φ'.
  // Schemes as diracgan.dynamics.training: simultaneous, or alternating d-first with n_critic
  // discriminator steps per generator step; a parameter named `clip` projects φ onto [−c, c]^d
  // after every discriminator step.  EMA as torch.optim.swa_utils: the start, a copy of the
  // iterate after step 1, then ema ← lerp(ema, p, 1 − decay) (torch.lerp's formula).
  function lerp(a, b, w) { return Math.abs(w) < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w); }

  function train(game, params, theta0, phi0, options) {
    var e = entryOf(game), q = paramVector(e, params);
    var o = options || {};
    var lr = Number(o.lr === undefined ? 0.1 : o.lr), mu = Number(o.momentum || 0);
    var mode = o.mode || "alternating", nCritic = Math.round(Number(o.nCritic || 1));
    var steps = Math.round(Number(o.steps || 100)), decay = o.ema === undefined || o.ema === null ? null : Number(o.ema);
    var bound = o.bound || 1e6;
    if (!(lr > 0) || !isFinite(lr)) { throw new Error("lr must be finite and > 0, got " + o.lr); }
    if (!(mu >= 0) || !isFinite(mu)) { throw new Error("momentum must be finite and ≥ 0, got " + o.momentum); }
    if (mode !== "simultaneous" && mode !== "alternating") { throw new Error("unknown mode " + mode); }
    if (!(nCritic >= 1)) { throw new Error("n_critic must be a whole number ≥ 1"); }
    if (mode === "simultaneous" && nCritic !== 1) { throw new Error("n_critic > 1 needs the alternating mode"); }
    if (decay !== null && !(decay >= 0 && decay < 1)) { throw new Error("EMA decay must be in [0, 1), got " + decay); }
    var ci = e.meta.params.findIndex(function (p) { return p.name === "clip"; });
    var clip = ci >= 0 ? q[ci] : null;
    function project(phi) { return clip === null ? phi : phi.map(function (x) { return Math.min(Math.max(x, -clip), clip); }); }
    function grad(th, ph) { var v = velocity(e, q, th, ph); return [v[0].map(function (x) { return -x; }), v[1].map(function (x) { return -x; })]; }
    function sgd(p, g, st) {
      if (mu !== 0) {
        if (st.buf === null) { st.buf = g.slice(); } else { st.buf = st.buf.map(function (b, i) { return b * mu + g[i]; }); }
        g = st.buf;
      }
      return p.map(function (x, i) { return x - lr * g[i]; });
    }
    var theta = theta0.map(Number), phi = phi0.map(Number), stD = { buf: null }, stG = { buf: null };
    var out = { theta: [theta], phi: [phi], emaTheta: [theta], emaPhi: [phi], status: "finished",
      message: "finished " + steps + " steps", stopStep: steps, lr: lr };
    var g0 = grad(theta, phi);
    if (!allFinite(g0[0]) || !allFinite(g0[1])) {
      out.status = "singular"; out.stopStep = 0; out.message = "the gradient is not finite at the start"; return out;
    }
    var emaT = theta, emaP = phi;
    for (var k = 1; k <= steps; k++) {
      var nt, np_;
      if (mode === "simultaneous") {
        var g = grad(theta, phi);
        np_ = project(sgd(phi, g[1], stD));
        nt = sgd(theta, g[0], stG);
      } else {
        np_ = phi;
        for (var c = 0; c < nCritic; c++) { np_ = project(sgd(np_, grad(theta, np_)[1], stD)); }
        nt = sgd(theta, grad(theta, np_)[0], stG);
      }
      var nn = Math.sqrt(dot(nt, nt) + dot(np_, np_));
      if (!(nn < bound)) {
        out.status = "diverged"; out.stopStep = k - 1;
        out.message = "diverged: the iterate " + (isFinite(nn) ? "reached ‖(θ, φ)‖ ≥ " + bound : "became non-finite") + " at step " + k;
        break;
      }
      theta = nt; phi = np_;
      if (decay !== null) {
        if (k === 1) { emaT = theta.slice(); emaP = phi.slice(); } else {
          emaT = emaT.map(function (x, i) { return lerp(x, theta[i], 1 - decay); });
          emaP = emaP.map(function (x, i) { return lerp(x, phi[i], 1 - decay); });
        }
      }
      out.theta.push(theta); out.phi.push(phi); out.emaTheta.push(emaT); out.emaPhi.push(emaP);
    }
    if (decay === null) { out.emaTheta = []; out.emaPhi = []; }
    return out;
  }

  // ------------------------------------------------------------------ the readout at θ = φ = 0
  function fmtG(x, digits) {
    if (x === 0) { return "0"; }
    if (!isFinite(x)) { return String(x); }
    var s = x.toPrecision(digits || 6);
    if (s.indexOf("e") >= 0) {
      var parts = s.split("e"), m = parts[0];
      if (m.indexOf(".") >= 0) { m = m.replace(/0+$/, "").replace(/\.$/, ""); }
      var ex = parseInt(parts[1], 10);
      return m + "e" + (ex < 0 ? "-" : "+") + (Math.abs(ex) < 10 ? "0" : "") + Math.abs(ex);
    }
    if (s.indexOf(".") >= 0) { s = s.replace(/0+$/, "").replace(/\.$/, ""); }
    return s;
  }
  function complexText(re, im) {
    if (Math.abs(im) < 1e-15) { return fmtG(re, 6); }
    if (Math.abs(re) < 1e-15) { return fmtG(im, 6) + "i"; }
    return fmtG(re, 6) + (im >= 0 ? " + " : " - ") + fmtG(Math.abs(im), 6) + "i";
  }

  function chooseVariant(e, q) {
    var best = null, bestN = -1;
    e.variants.forEach(function (v) {
      var keys = Object.keys(v.pins);
      if (keys.every(function (i) { return q[Number(i)] === v.pins[i]; }) && keys.length > bestN) { best = v; bestN = keys.length; }
    });
    return best;
  }

  function evalEigs(list, q, d) {
    var out = [];
    list.forEach(function (x) {
      var z = x.value(q), merged = false;
      out.forEach(function (o) {
        if (!merged && Math.abs(o.re - z[0]) + Math.abs(o.im - z[1]) <= 1e-12 * (1 + Math.abs(z[0]) + Math.abs(z[1]))) {
          o.mult += x.mult * d; o.text += " = " + x.text; merged = true;
        }
      });
      if (!merged) { out.push({ re: z[0], im: z[1], mult: x.mult * d, text: x.text }); }
    });
    out.sort(function (u, v) { return u.re - v.re || u.im - v.im; });
    return out;
  }

  // The exact eigenvalues of J(0) = M ⊗ I_d and the linear verdict (as diracgan.analysis.linear).
  function eigenvalues(game, params, d) {
    var e = entryOf(game), q = paramVector(e, params);
    d = d || 2;
    if (e.meta.discreteOnly) {
      return { differentiable: null, eigenvalues: [], verdict: "discrete only",
        text: game + " is defined only in discrete time: it has no flow to linearise" };
    }
    var v = chooseVariant(e, q);
    if (!v) {
      var text = "no linear verdict: " + e.meta.note;
      if (e.limit) {
        var le = evalEigs(e.limit.eig, q, d);
        text += ". Its Jacobian does tend to M₀ ⊗ I_d along rays to the equilibrium (eigenvalues " +
          le.map(function (x) { return complexText(x.re, x.im) + " (×" + x.mult + ")"; }).join(", ") +
          "), but the field is not C¹ near it, so that limit proves nothing";
      }
      return { differentiable: false, eigenvalues: [], verdict: "not differentiable", note: e.meta.note, text: text };
    }
    var eigs = evalEigs(v.eig, q, d);
    if (!eigs.every(function (x) { return isFinite(x.re) && isFinite(x.im); })) {
      return { differentiable: false, eigenvalues: eigs, verdict: "not differentiable",
        text: "no linear verdict: J(0) is not finite at these parameter values" };
    }
    var maxRe = Math.max.apply(null, eigs.map(function (x) { return x.re; }));
    var tiny = function (x) { return Math.abs(x.re) <= 1e-12 * (1 + Math.abs(x.im)); };
    var verdict, vt;
    if (eigs.every(tiny)) { maxRe = 0; }
    if (maxRe < 0 && !eigs.some(tiny)) {
      verdict = "asymptotically stable";
      vt = "asymptotically stable: every eigenvalue has Re μ ≤ " + fmtG(maxRe, 6) + " < 0, so ‖(θ, φ)‖ decays like e^(−" + fmtG(-maxRe, 6) + " t) near the equilibrium";
    } else if (maxRe > 0 && !(eigs.every(tiny))) {
      verdict = "unstable"; vt = "unstable: an eigenvalue has Re μ = " + fmtG(maxRe, 6) + " > 0";
    } else if (eigs.every(function (x) { return tiny(x) && Math.abs(x.im) > 0; })) {
      verdict = "centre"; vt = "centre: every eigenvalue is purely imaginary, so the linearisation is inconclusive (it neither proves convergence nor rules it out)";
    } else {
      verdict = "marginal"; vt = "marginal: the largest real part is 0 (with others negative or zero eigenvalues), so the linearisation is inconclusive";
    }
    return { differentiable: true, eigenvalues: eigs, verdict: verdict, text: vt, m: v.m };
  }

  function field(game, params, theta, phi) {
    var e = entryOf(game), q = paramVector(e, params);
    if (theta.length !== phi.length) { throw new Error("θ and φ must have the same dimension"); }
    return velocity(e, q, theta.map(Number), phi.map(Number));
  }

  // ------------------------------------------------------------------ the page
  var $ = function (id) { return document.getElementById(id); };
  var S = {            // the state of the page: what the URL hash holds
    game: DG.CONFIG.initial, params: {}, d: 2,
    theta: DG.CONFIG.start.theta.slice(), phi: DG.CONFIG.start.phi.slice(),
    T: 40, mode: "both", scheme: "alternating", lr: 0.1, momentum: 0, ncritic: 1, ema: 0.99
  };
  var view = { R: 1 }, anim = { playing: false, t: 0, last: null, frames: 0, since: 0, fps: 0 };
  var drawn = {};
  var cache = { flow: null, disc: null };

  function baseName(name) { var e = ENTRIES[name]; return e ? e.meta.base : name; }
  function composeName(base, reg) { return reg ? base + "+" + reg : base; }

  function setupControls() {
    var bases = [];
    DG.ENTRIES.forEach(function (e) { if (bases.indexOf(e.meta.base) < 0) { bases.push(e.meta.base); } });
    var sel = $("game");
    bases.forEach(function (b) {
      var o = document.createElement("option"); o.value = b;
      o.textContent = b + " — " + ENTRIES[b].meta.title; sel.appendChild(o);
    });
    var rs = $("reg"), none = document.createElement("option");
    none.value = ""; none.textContent = "none"; rs.appendChild(none);
    Object.keys(DG.CONFIG.regularisers).forEach(function (r) {
      var o = document.createElement("option"); o.value = r; o.textContent = r + " — " + DG.CONFIG.regularisers[r]; rs.appendChild(o);
    });
    sel.addEventListener("change", function () { setGame(composeName(sel.value, rs.value)); });
    rs.addEventListener("change", function () { setGame(composeName(sel.value, rs.value)); });
    $("dim").addEventListener("change", function () { setDim(Number($("dim").value)); });
    $("mode").addEventListener("change", function () { S.mode = $("mode").value; update(true); });
    $("scheme").addEventListener("change", function () { S.scheme = $("scheme").value; if (S.scheme === "simultaneous") { S.ncritic = 1; $("ncritic").value = 1; } update(true); });
    [["tmax", "T", 1e-6, 1e5], ["lr", "lr", 1e-9, 10], ["momentum", "momentum", 0, 0.999], ["ncritic", "ncritic", 1, 50], ["ema", "ema", 0, 0.99999]].forEach(function (a) {
      $(a[0]).addEventListener("input", function () {
        var x = Number($(a[0]).value);
        if (isFinite(x) && x >= a[2] && x <= a[3]) {
          S[a[1]] = a[1] === "ncritic" ? Math.round(x) : x;
          if (a[1] === "ncritic" && S.ncritic > 1 && S.scheme === "simultaneous") { S.scheme = "alternating"; $("scheme").value = "alternating"; }
          $(a[0]).removeAttribute("aria-invalid"); update(a[1] === "T");
        } else { $(a[0]).setAttribute("aria-invalid", "true"); }
      });
    });
    ["theta0", "phi0"].forEach(function (id) {
      $(id).addEventListener("change", function () {
        var v = $(id).value.split(",").map(Number);
        if (v.length === S.d && v.every(isFinite)) {
          S[id === "theta0" ? "theta" : "phi"] = v; $(id).removeAttribute("aria-invalid"); update(true);
        } else { $(id).setAttribute("aria-invalid", "true"); }
      });
    });
    $("play").addEventListener("click", togglePlay);
    $("step").addEventListener("click", stepAnim);
    $("reset").addEventListener("click", resetAnim);
    var cv = $("phase");
    var dragging = false;
    function at(ev) {
      var r = cv.getBoundingClientRect();
      var x = ((ev.clientX - r.left) / r.width * 2 - 1) * view.R, y = (1 - (ev.clientY - r.top) / r.height * 2) * view.R;
      setStart(x, y, false);
    }
    cv.addEventListener("pointerdown", function (ev) { dragging = true; cv.setPointerCapture && cv.setPointerCapture(ev.pointerId); at(ev); });
    cv.addEventListener("pointermove", function (ev) { if (dragging) { at(ev); } });
    cv.addEventListener("pointerup", function () { dragging = false; update(true); });
    cv.addEventListener("keydown", function (ev) {
      var k = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[ev.key];
      if (!k) { return; }
      ev.preventDefault();
      var st = startXY(), h = view.R / 40;
      setStart(st[0] + k[0] * h, st[1] + k[1] * h, true);
    });
    document.addEventListener("keydown", function (ev) {
      var tag = (ev.target && ev.target.tagName) || "";
      if (/INPUT|SELECT|TEXTAREA|BUTTON/.test(tag) || ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
      if (ev.key === " ") { ev.preventDefault(); togglePlay(); }
      else if (ev.key === "n" || ev.key === ".") { stepAnim(); }
      else if (ev.key === "r") { resetAnim(); }
      else if (ev.key === "m") {
        var modes = ["flow", "discrete", "both"]; S.mode = modes[(modes.indexOf(S.mode) + 1) % 3];
        $("mode").value = S.mode; update(true);
      }
    });
    window.addEventListener("hashchange", function () { if (location.hash !== lastHash) { readHash(); syncControls(); update(true); } });
    window.addEventListener("resize", function () { draw(); });
  }

  function startXY() { return S.d === 1 ? [S.theta[0], S.phi[0]] : [S.theta[0], S.theta[1]]; }
  function setStart(x, y, rescale) {
    x = Number(x.toPrecision(6)); y = Number(y.toPrecision(6));
    if (S.d === 1) { S.theta = [x]; S.phi = [y]; } else { S.theta = [x, y]; }
    syncStartInputs(); update(rescale);
  }

  function paramsControls() {
    var e = ENTRIES[S.game], box = $("params");
    box.innerHTML = "";
    if (!e.meta.params.length) { box.textContent = "no parameters"; return; }
    e.meta.params.forEach(function (p) {
      var row = document.createElement("div"); row.className = "param";
      var id = "param-" + p.name;
      var lab = document.createElement("label"); lab.htmlFor = id; lab.textContent = p.symbol + " = ";
      lab.title = p.doc;
      var num = document.createElement("input"); num.type = "number"; num.step = "any"; num.id = id + "-value";
      num.setAttribute("aria-label", p.symbol + " (" + p.doc + ")"); num.value = S.params[p.name];
      var sl = document.createElement("input"); sl.type = "range"; sl.id = id; sl.min = p.min; sl.max = p.max; sl.step = p.step;
      sl.value = S.params[p.name]; sl.setAttribute("aria-label", p.symbol + ": " + p.doc);
      var doc = document.createElement("div"); doc.className = "doc"; doc.textContent = p.doc + "  [" + fmtG(p.min, 3) + ", " + fmtG(p.max, 3) + "], default " + p.default;
      sl.addEventListener("input", function () { S.params[p.name] = Number(sl.value); num.value = sl.value; update(false); });
      num.addEventListener("input", function () {
        var x = Number(num.value);
        if (num.value !== "" && isFinite(x) && x >= p.lower && !(p.lowerOpen && x === p.lower)) {
          S.params[p.name] = x; sl.value = x; num.removeAttribute("aria-invalid"); update(false);
        } else { num.setAttribute("aria-invalid", "true"); }
      });
      lab.appendChild(num); row.appendChild(lab); row.appendChild(sl); row.appendChild(doc); box.appendChild(row);
    });
  }

  function setGame(name, keepParams) {
    if (!ENTRIES[name]) { name = baseName(name); }
    if (!ENTRIES[name]) { name = DG.CONFIG.initial; }
    var old = S.params;
    S.game = name;
    S.params = {};
    ENTRIES[name].meta.params.forEach(function (p) {
      S.params[p.name] = keepParams && p.name in old ? old[p.name] : p.default;
    });
    if (ENTRIES[name].meta.discreteOnly && S.mode !== "discrete") { S.mode = "discrete"; }
    syncControls();
    update(true);
  }

  function setDim(d) {
    var th = DG.CONFIG.start.theta, ph = DG.CONFIG.start.phi;
    S.d = d;
    S.theta = d === 1 ? [th[0]] : th.slice(); S.phi = d === 1 ? [ph[0]] : ph.slice();
    syncControls(); update(true);
  }

  function syncStartInputs() {
    $("theta0").value = S.theta.join(", "); $("phi0").value = S.phi.join(", ");
  }
  function syncControls() {
    var e = ENTRIES[S.game];
    $("game").value = e.meta.base; $("reg").value = e.meta.reg;
    $("dim").value = String(S.d); $("mode").value = S.mode; $("scheme").value = S.scheme;
    $("tmax").value = S.T; $("lr").value = S.lr; $("momentum").value = S.momentum; $("ncritic").value = S.ncritic; $("ema").value = S.ema;
    $("mode").querySelector("option[value=flow]").disabled = e.meta.discreteOnly;
    $("mode").querySelector("option[value=both]").disabled = e.meta.discreteOnly;
    syncStartInputs(); paramsControls();
    $("title").textContent = e.meta.name + ": " + e.meta.title;
    $("reference").textContent = (e.meta.reference ? "Reference: " + e.meta.reference + ". " : "") + (e.meta.singular ? "Singular at " + e.meta.singular + "." : "");
  }

  // ---- URL hash: game, parameters (p.<name>), d, start, T, mode and the training settings.
  // Written at most every 250 ms: Chromium ignores (and warns about) more than ~100 history
  // updates per 10 s, which dragging a start or a slider would exceed.
  var lastHash = "", hashTimer = null;
  function writeHash() {
    if (hashTimer === null) { hashTimer = setTimeout(function () { hashTimer = null; writeHashNow(); }, 250); }
  }
  function writeHashNow() {
    var parts = ["game=" + encodeURIComponent(S.game)];
    Object.keys(S.params).forEach(function (k) { parts.push("p." + encodeURIComponent(k) + "=" + S.params[k]); });
    parts.push("d=" + S.d, "theta=" + S.theta.join(","), "phi=" + S.phi.join(","), "T=" + S.T, "mode=" + S.mode,
      "scheme=" + S.scheme, "lr=" + S.lr, "momentum=" + S.momentum, "ncritic=" + S.ncritic, "ema=" + S.ema);
    var h = "#" + parts.join("&");
    if (h === location.hash) { return; }
    lastHash = h;
    try { history.replaceState(null, "", h); } catch (err) { try { location.hash = h; } catch (err2) { /* srcdoc */ } }
  }
  function readHash() {
    var h = location.hash.replace(/^#/, "");
    if (!h) { return false; }
    var kv = {};
    h.split("&").forEach(function (s) { var i = s.indexOf("="); if (i > 0) { kv[decodeURIComponent(s.slice(0, i))] = decodeURIComponent(s.slice(i + 1)); } });
    var name = kv.game && ENTRIES[kv.game] ? kv.game : S.game;
    S.game = name; S.params = {};
    ENTRIES[name].meta.params.forEach(function (p) {
      var x = Number(kv["p." + p.name]);
      S.params[p.name] = ("p." + p.name) in kv && isFinite(x) && x >= p.lower && !(p.lowerOpen && x === p.lower) ? x : p.default;
    });
    if (kv.d === "1" || kv.d === "2") { S.d = Number(kv.d); }
    ["theta", "phi"].forEach(function (k) {
      if (kv[k]) { var v = kv[k].split(",").map(Number); if (v.length === S.d && v.every(isFinite)) { S[k] = v; } }
    });
    if (S.theta.length !== S.d || S.phi.length !== S.d) {
      var th = DG.CONFIG.start.theta, ph = DG.CONFIG.start.phi;
      S.theta = th.slice(0, S.d); S.phi = ph.slice(0, S.d);
    }
    var num = function (k, lo, hi) { var x = Number(kv[k]); if (k in kv && isFinite(x) && x >= lo && x <= hi) { S[k] = x; } };
    num("T", 1e-6, 1e5); num("lr", 1e-9, 10); num("momentum", 0, 0.999); num("ncritic", 1, 50); num("ema", 0, 0.99999);
    S.ncritic = Math.round(S.ncritic);
    if (["flow", "discrete", "both"].indexOf(kv.mode) >= 0) { S.mode = kv.mode; }
    if (["simultaneous", "alternating"].indexOf(kv.scheme) >= 0) { S.scheme = kv.scheme; }
    if (S.scheme === "simultaneous") { S.ncritic = 1; }
    if (ENTRIES[S.game].meta.discreteOnly) { S.mode = "discrete"; }
    return true;
  }

  // ---- computing what is drawn
  function compute() {
    var e = ENTRIES[S.game], showFlow = S.mode !== "discrete" && !e.meta.discreteOnly, showDisc = S.mode !== "flow";
    // At most 20000 steps, so that the page stays responsive (the test API allows 500000).
    cache.flow = showFlow ? simulate(S.game, S.params, S.theta, S.phi, S.T, { samples: 801, maxSteps: 20000 }) : null;
    cache.disc = null;
    if (showDisc) {
      var steps = Math.max(1, Math.min(20000, Math.ceil(S.T / S.lr)));
      try {
        cache.disc = train(S.game, S.params, S.theta, S.phi, { lr: S.lr, momentum: S.momentum, mode: S.scheme,
          nCritic: S.ncritic, steps: steps, ema: S.ema });
      } catch (err) { cache.disc = { error: String(err.message || err), theta: [], phi: [], emaTheta: [], emaPhi: [] }; }
    }
    cache.eig = eigenvalues(S.game, S.params, S.d);
  }

  function xy(theta, phi) { return S.d === 1 ? [theta[0], phi[0]] : [theta[0], theta[1]]; }

  function rescale() {
    var st = startXY(), m = Math.max(Math.abs(st[0]), Math.abs(st[1]), 0.05), R = m;
    if (cache.flow) {
      cache.flow.theta.forEach(function (th, i) {
        var p = xy(th, cache.flow.phi[i]);
        if (isFinite(p[0]) && isFinite(p[1])) { R = Math.max(R, Math.min(Math.max(Math.abs(p[0]), Math.abs(p[1])), 20 * m)); }
      });
    }
    view.R = Number((1.15 * R).toPrecision(2));
  }

  var needRescale = false;
  function update(rescaleView) {
    needRescale = needRescale || !!rescaleView;
    compute();
    if (needRescale) { rescale(); needRescale = false; }
    anim.t = Math.min(anim.t, S.T);
    writeHash();
    readout();
    draw();
  }

  function readout() {
    var r = cache.eig, out = [];
    if (r.eigenvalues.length && r.differentiable) {
      out.push("J(0) = M ⊗ I_" + S.d + ", M = [[" + r.m[0] + ", " + r.m[1] + "], [" + r.m[2] + ", " + r.m[3] + "]]");
      r.eigenvalues.forEach(function (x) {
        var num = complexText(x.re, x.im);
        out.push("μ = " + (x.text === num ? num : x.text + " = " + num) + "   (×" + x.mult + ")");
      });
    }
    out.push(r.differentiable ? "Linear verdict: " + r.text : r.text);
    var f = cache.flow, dsc = cache.disc;
    if (f) { out.push("Flow: " + f.message + " (" + f.steps + " Dormand–Prince 5(4) steps, rtol " + f.rtol + ", atol " + f.atol + "); ‖(θ, φ)‖ = " + fmtG(Math.sqrt(dot(f.thetaEnd, f.thetaEnd) + dot(f.phiEnd, f.phiEnd)), 4) + " at t = " + fmtG(f.tEnd, 4)); }
    if (dsc) {
      if (dsc.error) { out.push("Training: " + dsc.error); } else {
        var k = dsc.theta.length - 1, th = dsc.theta[k], ph = dsc.phi[k];
        out.push("Training (" + S.scheme + " SGD, lr " + S.lr + (S.momentum ? ", momentum " + S.momentum : "") + (S.scheme === "alternating" ? ", n_critic " + S.ncritic : "") + "): " + dsc.message + "; ‖(θ, φ)‖ = " + fmtG(Math.sqrt(dot(th, th) + dot(ph, ph)), 4));
      }
    }
    $("readout").textContent = out.join("\n");
    drawn.readout = $("readout").textContent;
  }

  // ---- drawing
  var COL = { flow: "#0072B2", disc: "#D55E00", ema: "#009E73", field: "#999999", eq: "#000000", start: "#CC79A7" };

  function sizeCanvas(cv) {
    var r = cv.getBoundingClientRect(), dpr = window.devicePixelRatio || 1;
    var w = Math.max(1, Math.round(r.width * dpr)), h = Math.max(1, Math.round(r.height * dpr));
    if (cv.width !== w || cv.height !== h) { cv.width = w; cv.height = h; }
    var ctx = cv.getContext("2d"); ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return { ctx: ctx, w: r.width, h: r.height };
  }

  function polyline(ctx, pts, map) {
    ctx.beginPath(); var started = false;
    pts.forEach(function (p) {
      if (!isFinite(p[0]) || !isFinite(p[1])) { started = false; return; }
      var q = map(p); if (started) { ctx.lineTo(q[0], q[1]); } else { ctx.moveTo(q[0], q[1]); started = true; }
    });
    ctx.stroke();
  }

  function interp(series, t, times) {
    if (!series.length) { return null; }
    var n = times.length, i = 0;
    if (t >= times[n - 1]) { return series[n - 1]; }
    var lo = 0, hi = n - 1;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (times[mid] <= t) { lo = mid; } else { hi = mid; } }
    i = lo; var w = (t - times[i]) / (times[i + 1] - times[i]);
    return series[i].map(function (x, k) { return x + w * (series[i + 1][k] - x); });
  }

  function draw() {
    var P = sizeCanvas($("phase")), ctx = P.ctx, w = P.w, h = P.h, R = view.R;
    var map = function (p) { return [(p[0] / R + 1) / 2 * w, (1 - p[1] / R) / 2 * h]; };
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, h);
    // axes
    ctx.strokeStyle = "#ddd"; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(0, h / 2); ctx.lineTo(w, h / 2); ctx.moveTo(w / 2, 0); ctx.lineTo(w / 2, h); ctx.stroke();
    ctx.fillStyle = "#444"; ctx.font = "16px system-ui, sans-serif";
    ctx.fillText(S.d === 1 ? "θ" : "θ₁", w - 22, h / 2 - 8); ctx.fillText(S.d === 1 ? "φ" : "θ₂", w / 2 + 8, 18);
    ctx.fillText("axes: ±" + fmtG(R, 3), w - 110, h - 10);
    drawn = { game: S.game, params: JSON.parse(JSON.stringify(S.params)), d: S.d, mode: S.mode, view: { R: R },
      start: { theta: S.theta.slice(), phi: S.phi.slice() }, arrows: [], flow: null, discrete: null, ema: null, readout: drawn.readout };
    var e = ENTRIES[S.game];
    // the vector field (d = 1: the (θ, φ) plane is the whole state space)
    if (S.d === 1) {
      var q = paramVector(e, S.params), n = 17, cell = w / n;
      ctx.strokeStyle = COL.field; ctx.fillStyle = COL.field; ctx.lineWidth = 1.2;
      for (var i = 0; i < n; i++) {
        for (var j = 0; j < n; j++) {
          var x = ((i + 0.5) / n * 2 - 1) * R, y = ((j + 0.5) / n * 2 - 1) * R;
          var v = velocity(e, q, [x], [y]), vx = v[0][0], vy = v[1][0], m = Math.hypot(vx, vy);
          if (!isFinite(m) || m === 0) { continue; }
          drawn.arrows.push([x, y, vx, vy]);
          var c = map([x, y]), L = 0.42 * cell, ux = vx / m, uy = -vy / m;
          ctx.beginPath(); ctx.moveTo(c[0] - ux * L, c[1] - uy * L); ctx.lineTo(c[0] + ux * L, c[1] + uy * L); ctx.stroke();
          ctx.beginPath(); ctx.moveTo(c[0] + ux * L, c[1] + uy * L);
          ctx.lineTo(c[0] + ux * L - 6 * ux + 3.5 * uy, c[1] + uy * L - 6 * uy - 3.5 * ux);
          ctx.lineTo(c[0] + ux * L - 6 * ux - 3.5 * uy, c[1] + uy * L - 6 * uy + 3.5 * ux); ctx.fill();
        }
      }
    }
    var f = cache.flow, dsc = cache.disc && !cache.disc.error ? cache.disc : null;
    if (dsc) {
      var dp = dsc.theta.map(function (th, k) { return xy(th, dsc.phi[k]); });
      ctx.strokeStyle = COL.disc; ctx.lineWidth = 1.5; polyline(ctx, dp, map);
      drawn.discrete = { n: dp.length, points: dp, status: dsc.status, message: dsc.message };
      if (dsc.emaTheta.length) {
        var ep = dsc.emaTheta.map(function (th, k) { return xy(th, dsc.emaPhi[k]); });
        ctx.strokeStyle = COL.ema; ctx.lineWidth = 2.5; polyline(ctx, ep, map);
        drawn.ema = { n: ep.length, points: ep };
      }
    }
    if (f) {
      var fp = f.theta.map(function (th, k) { return xy(th, f.phi[k]); });
      ctx.strokeStyle = COL.flow; ctx.lineWidth = 2.5; polyline(ctx, fp, map);
      drawn.flow = { n: fp.length, points: fp, status: f.status, message: f.message, tEnd: f.tEnd };
    }
    // equilibrium and start
    var o = map([0, 0]);
    ctx.fillStyle = COL.eq; ctx.beginPath(); ctx.arc(o[0], o[1], 6, 0, 2 * Math.PI); ctx.fill();
    var s0 = map(startXY());
    ctx.strokeStyle = COL.start; ctx.lineWidth = 3; ctx.beginPath(); ctx.arc(s0[0], s0[1], 8, 0, 2 * Math.PI); ctx.stroke();
    // the animated point
    if (f) {
      var pa = interp(fp, anim.t, f.t);
      if (pa) { var a = map(pa); ctx.fillStyle = COL.flow; ctx.beginPath(); ctx.arc(a[0], a[1], 7, 0, 2 * Math.PI); ctx.fill(); drawn.point = pa; }
    }
    if (dsc) {
      var kk = Math.min(dsc.theta.length - 1, Math.floor(anim.t / S.lr));
      var pd = xy(dsc.theta[kk], dsc.phi[kk]), b = map(pd);
      ctx.fillStyle = COL.disc; ctx.beginPath(); ctx.arc(b[0], b[1], 6, 0, 2 * Math.PI); ctx.fill(); drawn.discretePoint = pd;
    }
    drawDistance();
    $("clock").textContent = "t = " + anim.t.toFixed(2) + " / " + S.T;
    window.diracgan.drawn = drawn;
  }

  function drawDistance() {
    var D = sizeCanvas($("dist")), ctx = D.ctx, w = D.w, h = D.h;
    var L = 64, Rm = 12, Tm = 12, Bm = 40;
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, h);
    var series = [], f = cache.flow, dsc = cache.disc && !cache.disc.error ? cache.disc : null;
    function dist(th, ph) { return Math.sqrt(dot(th, th) + dot(ph, ph)); }
    if (f) { series.push({ col: COL.flow, lw: 2.5, t: f.t, v: f.theta.map(function (th, k) { return dist(th, f.phi[k]); }), name: "flow" }); }
    if (dsc) {
      var tk = dsc.theta.map(function (_, k) { return k * S.lr; });
      series.push({ col: COL.disc, lw: 1.5, t: tk, v: dsc.theta.map(function (th, k) { return dist(th, dsc.phi[k]); }), name: "training (t = k·lr)" });
      if (dsc.emaTheta.length) { series.push({ col: COL.ema, lw: 2.5, t: tk, v: dsc.emaTheta.map(function (th, k) { return dist(th, dsc.emaPhi[k]); }), name: "EMA " + S.ema }); }
    }
    var lo = Infinity, hi = -Infinity;
    series.forEach(function (s) { s.v.forEach(function (x) { if (x > 0 && isFinite(x)) { lo = Math.min(lo, Math.log10(x)); hi = Math.max(hi, Math.log10(x)); } }); });
    if (!isFinite(lo)) { lo = -3; hi = 0; }
    lo = Math.floor(Math.max(lo, hi - 16)); hi = Math.ceil(hi + 1e-9); if (hi <= lo) { hi = lo + 1; }
    var X = function (t) { return L + t / S.T * (w - L - Rm); }, Y = function (l) { return Tm + (hi - l) / (hi - lo) * (h - Tm - Bm); };
    ctx.strokeStyle = "#ccc"; ctx.fillStyle = "#444"; ctx.font = "14px system-ui, sans-serif"; ctx.lineWidth = 1;
    var stepE = Math.max(1, Math.ceil((hi - lo) / 6));
    for (var l = lo; l <= hi; l += stepE) { ctx.beginPath(); ctx.moveTo(L, Y(l)); ctx.lineTo(w - Rm, Y(l)); ctx.stroke(); ctx.fillText("1e" + l, 8, Y(l) + 5); }
    ctx.fillText("0", L - 4, h - Bm + 18); ctx.fillText("t = " + S.T, w - Rm - 70, h - Bm + 18);
    ctx.fillText("‖(θ, φ)‖, log scale", L + 8, h - 10);
    drawn.distance = {};
    series.forEach(function (s) {
      ctx.strokeStyle = s.col; ctx.lineWidth = s.lw;
      var pts = s.t.map(function (t, k) { return [t, s.v[k] > 0 ? Math.log10(s.v[k]) : NaN]; }).filter(function (p) { return p[0] <= S.T * (1 + 1e-12); });
      polyline(ctx, pts, function (p) { return [X(p[0]), Y(Math.max(p[1], lo))]; });
      drawn.distance[s.name] = { n: pts.length, last: s.v[pts.length - 1] };
    });
    ctx.strokeStyle = "#000"; ctx.lineWidth = 1; ctx.beginPath(); ctx.moveTo(X(anim.t), Tm); ctx.lineTo(X(anim.t), h - Bm); ctx.stroke();
    var lx = L + 10;
    series.forEach(function (s) { ctx.fillStyle = s.col; ctx.fillRect(lx, Tm + 4, 18, 4); ctx.fillStyle = "#222"; ctx.fillText(s.name, lx + 22, Tm + 12); lx += 40 + ctx.measureText(s.name).width; });
  }

  // ---- animation
  function frame(ts) {
    if (!anim.playing) { return; }
    if (anim.last !== null) {
      anim.t += (ts - anim.last) / 1000 * S.T / 10;       // the whole run in 10 s
      if (anim.t >= S.T) { anim.t = S.T; anim.playing = false; $("play").textContent = "Play"; }
    }
    anim.last = ts;
    anim.frames++;
    if (ts - anim.since >= 1000) { anim.fps = anim.frames * 1000 / (ts - anim.since); anim.frames = 0; anim.since = ts; }
    draw();
    if (anim.playing) { requestAnimationFrame(frame); }
  }
  function togglePlay() {
    anim.playing = !anim.playing;
    $("play").textContent = anim.playing ? "Pause" : "Play";
    if (anim.playing) {
      if (anim.t >= S.T) { anim.t = 0; }
      anim.last = null; anim.frames = 0; anim.since = performance.now(); requestAnimationFrame(frame);
    }
  }
  function stepAnim() { anim.playing = false; $("play").textContent = "Play"; anim.t = Math.min(S.T, anim.t + S.T / 100); draw(); }
  function resetAnim() { anim.playing = false; $("play").textContent = "Play"; anim.t = 0; draw(); }

  // ------------------------------------------------------------------ the test API
  window.diracgan = {
    games: NAMES.slice(),
    entries: function () { return DG.ENTRIES.map(function (e) { return e.meta; }); },
    field: field,
    simulate: simulate,
    train: train,
    eigenvalues: eigenvalues,
    state: function () { return JSON.parse(JSON.stringify(S)); },
    fps: function () { return anim.fps; },
    drawn: drawn,
    tolerances: { rtol: DG.CONFIG.rtol, atol: DG.CONFIG.atol }
  };

  function init() {
    setupControls();
    S.params = {};
    ENTRIES[S.game].meta.params.forEach(function (p) { S.params[p.name] = p.default; });
    readHash();
    syncControls();
    update(true);
    window.diracgan.ready = true;
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
