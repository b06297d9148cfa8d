// grid.gradient of a 1024×1024 Float64 field along both axes (numpy.gradient's
// stencils, edge order 1), against plain JavaScript loops and ndarray-gradient,
// copying (typed arrays in and out) and zero-copy (WasmBuffers in and out).
import { createRequire } from "node:module";
import { grid, buffer } from "../dist/index.js";
import { compare } from "./report.mjs";
import { gridGradientByHand, testField } from "./field-workloads.mjs";

const require = createRequire(import.meta.url);
const ndarray = require("ndarray");
const ndarrayGradient = require("ndarray-gradient");

const ny = 1024, nx = 1024, shape = [ny, nx];
const field = testField(new Float64Array(ny * nx), ny, nx);

const plain = (f, gy, gx) => gridGradientByHand(f, gy, gx, ny, nx);

const gyJs = new Float64Array(ny * nx), gxJs = new Float64Array(ny * nx);
const gyLib = new Float64Array(ny * nx), gxLib = new Float64Array(ny * nx);
const input = buffer(shape), outY = buffer(shape), outX = buffer(shape);
input.data.set(field);
const nd = ndarray(field, shape), ndOut = ndarray(new Float64Array(ny * nx * 2), [ny, nx, 2]);

// Agreement before timing: the library against the loops everywhere, and
// ndarray-gradient in the interior — it returns −∂f/∂x_k, (f[i−1] − f[i+1])/2,
// and halves its one-sided edges.
plain(field, gyJs, gxJs);
grid.gradient(field, shape, { out: [gyLib, gxLib] });
ndarrayGradient(ndOut, nd);
for (let k = 0; k < ny * nx; k++) {
  if (gyLib[k] !== gyJs[k] || gxLib[k] !== gxJs[k]) throw new Error(`grid.gradient disagrees with the loops at ${k}`);
}
for (const k of [nx + 1, 500 * nx + 300, (ny - 2) * nx + nx - 2]) {
  const dy = -ndOut.data[2 * k], dx = -ndOut.data[2 * k + 1];
  if (Math.abs(dy - gyJs[k]) > 1e-15 || Math.abs(dx - gxJs[k]) > 1e-15) throw new Error(`ndarray-gradient's interior (sign and order corrected) disagrees at ${k}`);
}

export const ratios = await compare("grid.gradient of a 1024×1024 field, both axes", {
  "plain JavaScript loops": () => plain(field, gyJs, gxJs),
  "gradients grid.gradient (copying, out given)": () => grid.gradient(field, shape, { out: [gyLib, gxLib] }),
  "gradients grid.gradient (zero-copy WasmBuffers)": () => grid.gradient(input, shape, { out: [outY, outX] }),
  "ndarray-gradient": () => ndarrayGradient(ndOut, nd),
}, { time: 2000 });
