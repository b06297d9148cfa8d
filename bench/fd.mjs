// fd.grad of an opaque 50-variable function at 1,000 points (central differences:
// 100 calls a point), against the bare calls it needs, in the same run.
import { fd, Tensor } from "../dist/index.js";
import { compare } from "./report.mjs";

const n = 50, N = 1_000;
/** An opaque function: the library sees only its values. */
function f(x) {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.sin(x[i]) * x[(i + 1) % n] + 0.1 * x[i] * x[i];
  return s;
}

const points = Float64Array.from({ length: N * n }, (_, k) => Math.sin(k * 0.7));
const batch = new Tensor([N, n], points);
let sink = 0;

/**
 * The same 2n calls per point as central differences, with nothing else: a
 * function of (f, points), as any loop that is handed a function must be.
 */
function bareCalls(f, points) {
  const x = new Float64Array(n);
  for (let p = 0; p < N; p++) {
    x.set(points.subarray(p * n, (p + 1) * n));
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      x[i] = xi + 1e-5; sink += f(x);
      x[i] = xi - 1e-5; sink += f(x);
      x[i] = xi;
    }
  }
}

/**
 * The same calls written against this file's own f and a module-level probe
 * array: V8 inlines f and specializes it to that one constant array, which no
 * loop handed someone else's function can do (shown for comparison).
 */
const probe = new Float64Array(n);
function bareCallsSpecialized() {
  for (let p = 0; p < N; p++) {
    probe.set(points.subarray(p * n, (p + 1) * n));
    for (let i = 0; i < n; i++) {
      const xi = probe[i];
      probe[i] = xi + 1e-5; sink += f(probe);
      probe[i] = xi - 1e-5; sink += f(probe);
      probe[i] = xi;
    }
  }
}

export const ratios = await compare(`fd.grad of an opaque ${n}-variable function at ${N.toLocaleString("en")} points`, {
  "the bare callback calls (2n a point)": () => bareCalls(f, points),
  "gradients fd.grad(f, batch)": () => fd.grad(f, batch),
  "the bare calls, specialized to f and a constant array": bareCallsSpecialized,
}, { time: 2000 });
void sink;
