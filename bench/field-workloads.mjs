// Workloads shared by several benchmarks, with their hand-written baselines:
// the 3→3 field's Jacobian (bench/jacobian.mjs, bench/pool.mjs) and
// numpy.gradient's stencils on a grid (bench/grid.mjs, bench/pool.mjs).
import { compile } from "../dist/index.js";

/** F(x,y,z) = [x·y·sin z, eˣ·cos y + z², x/(1+y²) + √z]. */
export const F = compile(["x*y*sin(z)", "exp(x)*cos(y) + z^2", "x/(1+y^2) + sqrt(z)"], { vars: ["x", "y", "z"] });

/** J[9p + 3i + j] = ∂F_i/∂x_j at point p, written by hand. */
export function analyticJacobian(x, y, z, out, o) {
  const sz = Math.sin(z), ex = Math.exp(x), q = 1 / (1 + y * y);
  out[o] = y * sz; out[o + 1] = x * sz; out[o + 2] = x * y * Math.cos(z);
  out[o + 3] = ex * Math.cos(y); out[o + 4] = -ex * Math.sin(y); out[o + 5] = 2 * z;
  out[o + 6] = q; out[o + 7] = -2 * x * y * q * q; out[o + 8] = 0.5 / Math.sqrt(z);
}

/** N points (x, y, z) in F's domain, into `points` (3·N entries). */
export function fillPoints(points) {
  for (let i = 0; i < points.length / 3; i++) {
    points[3 * i] = Math.sin(i) * 2;
    points[3 * i + 1] = Math.cos(i * 0.7) * 2;
    points[3 * i + 2] = 0.5 + (i % 100) / 50;
  }
  return points;
}

/** The analytic Jacobians of every point. */
export function analyticJacobians(points, out) {
  for (let p = 0; p < points.length / 3; p++) analyticJacobian(points[3 * p], points[3 * p + 1], points[3 * p + 2], out, 9 * p);
}

/** numpy.gradient (spacing 1, edge order 1) of an ny×nx field along both axes, written by hand. */
export function gridGradientByHand(f, gy, gx, ny, nx) {
  for (let i = 0; i < ny; i++) {
    const row = i * nx;
    gx[row] = f[row + 1] - f[row];
    for (let j = 1; j < nx - 1; j++) gx[row + j] = (f[row + j + 1] - f[row + j - 1]) / 2;
    gx[row + nx - 1] = f[row + nx - 1] - f[row + nx - 2];
  }
  for (let j = 0; j < nx; j++) gy[j] = f[nx + j] - f[j];
  for (let i = 1; i < ny - 1; i++) {
    const row = i * nx;
    for (let j = 0; j < nx; j++) gy[row + j] = (f[row + nx + j] - f[row - nx + j]) / 2;
  }
  for (let j = 0; j < nx; j++) gy[(ny - 1) * nx + j] = f[(ny - 1) * nx + j] - f[(ny - 2) * nx + j];
}

/** A smooth test field on an ny×nx grid. */
export function testField(field, ny, nx) {
  for (let k = 0; k < ny * nx; k++) field[k] = Math.sin(k % nx * 0.01) * Math.cos(Math.floor(k / nx) * 0.013);
  return field;
}
