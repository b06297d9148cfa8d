// Run by test/package/pool.test.ts with --expose-gc: 10,000 pool calls (every
// tenth with a new function, disposed after), and the process's memory before
// and after the last 8,000, each after a full collection and the finalizers
// it lets run. Prints JSON.
import { compile, createPool, Tensor } from "../../dist/index.js";

const pool = createPool({ size: 2 });
const field = compile(["x*y*sin(z)", "exp(x)*cos(y) + z^2", "x/(1+y^2) + sqrt(z)"], { vars: ["x", "y", "z"] });
const small = new Tensor([20, 3], Float64Array.from({ length: 60 }, (_, i) => 1 + i / 10));
const pairs = new Tensor([4, 2], Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8));

async function round(count) {
  for (let i = 0; i < count; i++) {
    if (i % 10 === 0) {
      const f = compile(`x*y + ${i}`, { vars: ["x", "y"] });
      await f.evalAsync(pairs, { pool });
      f.dispose();
    } else {
      await field.jacobianAsync(small, { pool });
    }
  }
}

async function settled() {
  for (let k = 0; k < 3; k++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, js: m.heapUsed + m.external };
}

await round(2000);
const before = await settled();
await round(8000);
const after = await settled();
await pool.terminate();
console.log(JSON.stringify({ rss: after.rss - before.rss, js: after.js - before.js }));
