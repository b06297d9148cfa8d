// The demo page: a scalar field with its gradient, a vector field with its
// divergence and curl, recomputed by the library over the whole grid (one batch
// call each) as the user types. Results are also left on window.__demo for the
// browser test.
import { compile, GradientsError, ParseError, Tensor } from "gradients";

const N = 41, LO = -2, HI = 2;
/** Grid points, row by row from the top (y = HI) down, [N·N, 2]: (x, y). */
const points = new Tensor([N * N, 2], Float64Array.from({ length: 2 * N * N }, (_, k) => {
  const p = k >> 1, i = Math.floor(p / N), j = p % N;
  return k & 1 ? HI - ((HI - LO) * i) / (N - 1) : LO + ((HI - LO) * j) / (N - 1);
}));

const state = { version: 0, grid: { n: N, lo: LO, hi: HI }, scalar: null, field: null, errors: {} };
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

/** A heat map of N×N values scaled to the largest |value| (or to [min, max] with `sequential`). */
function heat(canvas, values, sequential) {
  const ctx = canvas.getContext("2d"), cell = canvas.width / N;
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const span = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  for (let p = 0; p < N * N; p++) {
    const v = values[p];
    const [r, g, b] = !Number.isFinite(v) ? [128, 128, 128]
      : sequential ? diverging(hi > lo ? (2 * (v - lo)) / (hi - lo) - 1 : 0) : diverging(v / span);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect((p % N) * cell, Math.floor(p / N) * cell, Math.ceil(cell), Math.ceil(cell));
  }
}

/** Arrows of the 2-vectors vec[2p], vec[2p+1] at every `every`-th grid point, lengths scaled to the largest. */
function arrows(canvas, vec, every = 4) {
  const ctx = canvas.getContext("2d"), cell = canvas.width / N;
  let longest = 0;
  for (let p = 0; p < N * N; p++) longest = Math.max(longest, Math.hypot(vec[2 * p], vec[2 * p + 1]) || 0);
  const scale = longest > 0 ? (every * cell * 0.9) / longest : 0;
  ctx.strokeStyle = "#111";
  ctx.fillStyle = "#111";
  for (let i = every / 2; i < N; i += every) for (let j = every / 2; j < N; j += every) {
    const p = i * N + j, dx = vec[2 * p] * scale, dy = -vec[2 * p + 1] * scale; // canvas y points down
    if (!Number.isFinite(dx) || !Number.isFinite(dy)) continue;
    const x0 = (j + 0.5) * cell, y0 = (i + 0.5) * cell, x1 = x0 + dx, y1 = y0 + dy;
    ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
    const a = Math.atan2(dy, dx), h = Math.min(5, Math.hypot(dx, dy) / 2);
    ctx.beginPath(); ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - h * Math.cos(a - 0.4), y1 - h * Math.sin(a - 0.4));
    ctx.lineTo(x1 - h * Math.cos(a + 0.4), y1 - h * Math.sin(a + 0.4));
    ctx.fill();
  }
}

function updateScalar() {
  const expr = document.getElementById("scalar").value, out = document.getElementById("scalar-error");
  try {
    const f = compile(expr, { vars: ["x", "y"] });
    const values = f.eval(points).data, grads = f.grad(points).data;
    f.dispose();
    const canvas = document.getElementById("scalar-canvas");
    heat(canvas, values, true);
    arrows(canvas, grads);
    state.scalar = { expr, values: Array.from(values), grads: Array.from(grads) };
    state.errors.scalar = "";
  } catch (error) {
    state.errors.scalar = explain(error);
  }
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
    heat(divCanvas, div, false);
    arrows(divCanvas, values);
    heat(curlCanvas, curl, false);
    arrows(curlCanvas, values);
    state.field = { exprs, values: Array.from(values), divergence: Array.from(div), curl: Array.from(curl) };
    state.errors.field = "";
  } catch (error) {
    state.errors.field = explain(error);
  }
  out.textContent = state.errors.field;
  state.version++;
}

document.getElementById("scalar").addEventListener("input", updateScalar);
document.getElementById("field-u").addEventListener("input", updateField);
document.getElementById("field-v").addEventListener("input", updateField);
updateScalar();
updateField();
state.ready = true;
