// The demo page: a scalar field with its gradient, a vector field with its
// divergence and curl, recomputed by the library over the whole grid (one batch
// call each) as the user types. Each plot has axes with ticks over the domain
// and a colour bar with its values; while an expression does not parse, the
// plots keep the last good one, marked stale. Results (and what was drawn) are
// also left on window.__demo for the browser test.
import { compile, GradientsError, ParseError, Tensor } from "gradients";

const N = 41, LO = -2, HI = 2, TICKS = [-2, -1, 0, 1, 2];
/** Grid points, row by row from the top (y = HI) down, [N·N, 2]: (x, y). */
const points = new Tensor([N * N, 2], Float64Array.from({ length: 2 * N * N }, (_, k) => {
  const p = k >> 1, i = Math.floor(p / N), j = p % N;
  return k & 1 ? HI - ((HI - LO) * i) / (N - 1) : LO + ((HI - LO) * j) / (N - 1);
}));

const state = { version: 0, grid: { n: N, lo: LO, hi: HI }, scalar: null, field: null, errors: {}, drawn: {} };
window.__demo = state;

/** An error for a person: the message, and under a parse error the expression with a caret. */
function explain(error) {
  if (error instanceof ParseError) return `${error.message}\n${error.expression}\n${" ".repeat(error.column - 1)}^`;
  if (error instanceof GradientsError) return error.message;
  throw error;
}

/** A blue–white–red colour for t in [−1, 1]. */
function diverging(t) {
  const s = Math.max(-1, Math.min(1, t));
  const c = Math.round(255 * (1 - Math.abs(s)));
  return s >= 0 ? [255, c, c] : [c, c, 255];
}

/** Where the plot sits in its canvas: margins for the ticks on the left and below, the colour bar on the right. */
function frame(canvas) {
  const left = 34, bottom = 28, top = 8, bar = 62;
  const size = Math.min(canvas.width - left - bar, canvas.height - top - bottom);
  return { left, top, size, cell: size / N, barX: left + size + 14 };
}

/** A short label for a value. */
const label = (v) => (v === 0 ? "0" : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-2 ? v.toExponential(1) : String(+v.toPrecision(3)));

/**
 * A heat map of N×N values over the domain, with axes and a colour bar: diverging
 * around 0 (scaled to the largest |value|), or over [min, max] with `sequential`.
 * Returns the colour bar's range and the tick labels drawn.
 */
function heat(canvas, values, sequential) {
  const ctx = canvas.getContext("2d"), { left, top, size, cell, barX } = frame(canvas);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (lo > hi) lo = hi = 0;
  const span = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  const [from, to] = sequential ? [lo, hi] : [-span, span];
  const colour = (v) => (!Number.isFinite(v) ? [128, 128, 128] : diverging(to > from ? (2 * (v - from)) / (to - from) - 1 : 0));
  for (let p = 0; p < N * N; p++) {
    const [r, g, b] = colour(values[p]);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(left + (p % N) * cell, top + Math.floor(p / N) * cell, Math.ceil(cell), Math.ceil(cell));
  }
  // axes: ticks at the grid's x and y values
  ctx.fillStyle = "#333";
  ctx.strokeStyle = "#333";
  ctx.font = "11px system-ui, sans-serif";
  ctx.strokeRect(left, top, size, size);
  const at = (t) => ((t - LO) / (HI - LO)) * (size - cell) + cell / 2;
  const ticks = [];
  for (const t of TICKS) {
    const x = left + at(t), y = top + size - at(t);
    ctx.beginPath(); ctx.moveTo(x, top + size); ctx.lineTo(x, top + size + 4); ctx.moveTo(left - 4, y); ctx.lineTo(left, y); ctx.stroke();
    ctx.textAlign = "center"; ctx.fillText(String(t), x, top + size + 15);
    ctx.textAlign = "right"; ctx.fillText(String(t), left - 6, y + 4);
    ticks.push(String(t));
  }
  ctx.textAlign = "center"; ctx.fillText("x", left + size / 2, top + size + 26);
  ctx.textAlign = "right"; ctx.fillText("y", left - 22, top + size / 2 + 4);
  // colour bar: the top is `to`, the bottom `from`
  const steps = 64, barLabels = [to, (from + to) / 2, from].map(label);
  for (let k = 0; k < steps; k++) {
    const [r, g, b] = colour(to - ((to - from) * (k + 0.5)) / steps);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(barX, top + (k * size) / steps, 12, Math.ceil(size / steps));
  }
  ctx.strokeRect(barX, top, 12, size);
  ctx.fillStyle = "#333";
  ctx.textAlign = "left";
  barLabels.forEach((text, k) => ctx.fillText(text, barX + 16, top + (k * size) / 2 + (k === 0 ? 9 : k === 2 ? 0 : 4)));
  return { ticks, bar: { from, to, labels: barLabels } };
}

/**
 * Arrows of the 2-vectors vec[2p], vec[2p+1] at every `every`-th grid point. The
 * lengths are scaled so that the 90th percentile of the finite lengths fills a
 * cell, and longer arrows are capped there (drawn thicker): one huge or infinite
 * value, as ∇log x near x = 0, does not shrink every other arrow to nothing.
 */
function arrows(canvas, vec, every = 4) {
  const ctx = canvas.getContext("2d"), { left, top, cell } = frame(canvas);
  const lengths = [];
  for (let p = 0; p < N * N; p++) {
    const l = Math.hypot(vec[2 * p], vec[2 * p + 1]);
    if (Number.isFinite(l) && l > 0) lengths.push(l);
  }
  lengths.sort((a, b) => a - b);
  const typical = lengths.length ? lengths[Math.floor(0.9 * (lengths.length - 1))] : 0;
  const room = every * cell * 0.9, scale = typical > 0 ? room / typical : 0;
  const drawn = [];
  ctx.fillStyle = "#111";
  ctx.strokeStyle = "#111";
  for (let i = every / 2; i < N; i += every) for (let j = every / 2; j < N; j += every) {
    const p = i * N + j, u = vec[2 * p], v = vec[2 * p + 1], length = Math.hypot(u, v);
    if (!(length > 0) || Number.isNaN(length)) continue;
    const capped = !(length * scale <= room), k = capped ? room / length : scale;
    const dx = Number.isFinite(length) ? u * k : Math.sign(u) * room, dy = -(Number.isFinite(length) ? v * k : Math.sign(v) * room); // canvas y points down
    const x0 = left + (j + 0.5) * cell, y0 = top + (i + 0.5) * cell, x1 = x0 + dx, y1 = y0 + dy;
    ctx.lineWidth = capped ? 2 : 1;
    ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
    const a = Math.atan2(dy, dx), h = Math.min(5, Math.hypot(dx, dy) / 2);
    ctx.beginPath(); ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - h * Math.cos(a - 0.4), y1 - h * Math.sin(a - 0.4));
    ctx.lineTo(x1 - h * Math.cos(a + 0.4), y1 - h * Math.sin(a + 0.4));
    ctx.fill();
    drawn.push(Math.hypot(dx, dy));
  }
  ctx.lineWidth = 1;
  return drawn;
}

/** Marks a section's plots stale (the expression does not parse) or current. */
function stale(section, isStale) {
  document.getElementById(section).classList.toggle("stale", isStale);
}

function updateScalar() {
  const expr = document.getElementById("scalar").value, out = document.getElementById("scalar-error");
  try {
    const f = compile(expr, { vars: ["x", "y"] });
    const values = f.eval(points).data, grads = f.grad(points).data;
    f.dispose();
    const canvas = document.getElementById("scalar-canvas");
    const axes = heat(canvas, values, true);
    state.drawn.scalar = { ...axes, arrows: arrows(canvas, grads) };
    state.scalar = { expr, values: Array.from(values), grads: Array.from(grads) };
    state.errors.scalar = "";
  } catch (error) {
    state.errors.scalar = explain(error);
  }
  stale("scalar-section", state.errors.scalar !== "");
  out.textContent = state.errors.scalar;
  state.version++;
}

function updateField() {
  const exprs = [document.getElementById("field-u").value, document.getElementById("field-v").value];
  const out = document.getElementById("field-error");
  try {
    const F = compile(exprs, { vars: ["x", "y"] });
    const values = F.eval(points).data, div = F.divergence(points).data, curl = F.curl(points).data;
    F.dispose();
    const divCanvas = document.getElementById("div-canvas"), curlCanvas = document.getElementById("curl-canvas");
    state.drawn.divergence = { ...heat(divCanvas, div, false), arrows: arrows(divCanvas, values) };
    state.drawn.curl = { ...heat(curlCanvas, curl, false), arrows: arrows(curlCanvas, values) };
    state.field = { exprs, values: Array.from(values), divergence: Array.from(div), curl: Array.from(curl) };
    state.errors.field = "";
  } catch (error) {
    state.errors.field = explain(error);
  }
  stale("field-section", state.errors.field !== "");
  out.textContent = state.errors.field;
  state.version++;
}

document.getElementById("scalar").addEventListener("input", updateScalar);
document.getElementById("field-u").addEventListener("input", updateField);
document.getElementById("field-v").addEventListener("input", updateField);
updateScalar();
updateField();
state.ready = true;
