// The demo in a real browser: serve it on localhost, open it in headless Chromium
// (Debian's package, driven by playwright-core), type expressions, and check the
// numbers the page computed against closed forms.
import { existsSync, mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
// @ts-expect-error: a plain ESM script without types
import { serve } from "../../demo/serve.mjs";

const CHROMIUM = "/usr/bin/chromium";
/** Where the screenshots go (a CI artifact; not committed). */
const OUTPUT = new URL("../output/", import.meta.url).pathname;
// CI installs Chromium (.ci/run); elsewhere the test runs when it is there.
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs it with apt-get`);

describe.skipIf(!available)("the browser demo", () => {
  let browser: Browser, page: Page, server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    server = await serve(0);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"],
    });
    page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as { __demo?: { ready?: boolean } }).__demo?.ready === true, null, { timeout: 30_000 });
    expect(problems).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Types into an input and waits for the page to recompute. */
  async function type(selector: string, text: string) {
    const before = await page.evaluate(() => (window as unknown as { __demo: { version: number } }).__demo.version);
    await page.fill(selector, text);
    await page.waitForFunction((v) => (window as unknown as { __demo: { version: number } }).__demo.version > v, before);
  }

  type Demo = { grid: { n: number; lo: number; hi: number }; scalar: { values: number[]; grads: number[] };
    field: { divergence: number[]; curl: number[]; values: number[] }; errors: Record<string, string> };
  const demo = () => page.evaluate(() => (window as unknown as { __demo: unknown }).__demo) as Promise<Demo>;
  /** The grid point (x, y) of index p: rows from y = hi down, columns from x = lo. */
  const at = (d: Demo, p: number) => {
    const { n, lo, hi } = d.grid, i = Math.floor(p / n), j = p % n;
    return [lo + ((hi - lo) * j) / (n - 1), hi - ((hi - lo) * i) / (n - 1)];
  };

  it("computes f and ∇f over the grid as the user types: x^2*y + sin(x)", async () => {
    await type("#scalar", "x^2*y + sin(x)");
    const d = await demo();
    expect(d.errors.scalar).toBe("");
    expect(d.scalar.values.length).toBe(d.grid.n * d.grid.n);
    for (const p of [0, 123, 840, d.grid.n * d.grid.n - 1]) {
      const [x, y] = at(d, p);
      expect(d.scalar.values[p]).toBeCloseTo(x * x * y + Math.sin(x), 12);
      expect(d.scalar.grads[2 * p]).toBeCloseTo(2 * x * y + Math.cos(x), 12);
      expect(d.scalar.grads[2 * p + 1]).toBeCloseTo(x * x, 12);
    }
  });

  it("computes divergence and curl of a vector field: [x*y, -y^2 + x]", async () => {
    await type("#field-u", "x*y");
    await type("#field-v", "-y^2 + x");
    const d = await demo();
    expect(d.errors.field).toBe("");
    for (const p of [5, 600, 1000]) {
      const [x, y] = at(d, p);
      expect(d.field.divergence[p]).toBeCloseTo(y - 2 * y, 12); // ∂u/∂x + ∂v/∂y
      expect(d.field.curl[p]).toBeCloseTo(1 - x, 12); // ∂v/∂x − ∂u/∂y
    }
  });

  it("a rotation has zero divergence and curl 2 everywhere", async () => {
    await type("#field-u", "-y");
    await type("#field-v", "x");
    const d = await demo();
    expect(new Set(d.field.divergence)).toEqual(new Set([0]));
    expect(new Set(d.field.curl)).toEqual(new Set([2]));
  });

  it("draws axes with ticks over the domain and a colour bar with the values' range", async () => {
    await type("#scalar", "x^2*y + sin(x)");
    const d = await page.evaluate(() => (window as unknown as { __demo: { drawn: { scalar: { ticks: string[]; bar: { from: number; to: number; labels: string[] } } } } }).__demo.drawn.scalar);
    expect(d.ticks).toEqual(["-2", "-1", "0", "1", "2"]);
    const values = (await demo()).scalar.values;
    expect(d.bar.from).toBe(Math.min(...values));
    expect(d.bar.to).toBe(Math.max(...values));
    expect(d.bar.labels).toHaveLength(3);
    expect(await page.textContent("#scalar-section .note")).toContain("from −2 to 2");
  });

  it("scales arrows robustly: one infinite gradient (log at 0) does not shrink the others to nothing", async () => {
    await type("#scalar", "log(x + 2)"); // ∇ is infinite along x = −2, 1/(x + 2) elsewhere
    const arrows = await page.evaluate(() => (window as unknown as { __demo: { drawn: { scalar: { arrows: number[] } } } }).__demo.drawn.scalar.arrows);
    expect(arrows.length).toBeGreaterThan(50);
    const sorted = [...arrows].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeGreaterThan(3); // the median arrow is still visible (pixels)
    expect(sorted.every(Number.isFinite)).toBe(true);
  });

  it("marks the plots stale while an expression does not parse", async () => {
    await type("#scalar", "x + y");
    expect((await page.getAttribute("#scalar-section", "class")) ?? "").not.toContain("stale");
    await type("#scalar", "x + (y");
    expect((await page.getAttribute("#scalar-section", "class")) ?? "").toContain("stale");
    expect(await page.isVisible("#scalar-section .stale-note")).toBe(true);
    await type("#scalar", "x + y");
    expect((await page.getAttribute("#scalar-section", "class")) ?? "").not.toContain("stale");
  });

  it("fits a 390-pixel-wide phone, has a viewport tag and a favicon, and keeps screenshots", async () => {
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: `${OUTPUT}demo.png`, fullPage: true });
    expect(await page.getAttribute('meta[name="viewport"]', "content")).toContain("width=device-width");
    const icon = await page.getAttribute('link[rel="icon"]', "href");
    expect((await page.request.get(new URL(icon!, server.url).href)).status()).toBe(200);
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    try {
      await phone.goto(server.url);
      await phone.waitForFunction(() => (window as unknown as { __demo?: { ready?: boolean } }).__demo?.ready === true);
      const fit = await phone.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        canvases: [...document.querySelectorAll("canvas")].map((c) => c.getBoundingClientRect().right),
      }));
      expect(fit.page).toBeLessThanOrEqual(390);
      for (const right of fit.canvases) expect(right).toBeLessThanOrEqual(390);
      await phone.screenshot({ path: `${OUTPUT}demo-phone.png`, fullPage: true });
    } finally {
      await phone.close();
    }
  });

  it("shows a parse error inline, with its column, and recovers", async () => {
    await type("#scalar", "x^^2");
    const shown = await page.textContent("#scalar-error");
    expect(shown).toContain("at column 3");
    expect(shown).toContain("x^^2\n  ^");
    await type("#scalar", "x + y");
    expect((await demo()).errors.scalar).toBe("");
    expect(await page.textContent("#scalar-error")).toBe("");
  });
});

// A pool of Web Workers in the page, with and without cross-origin isolation:
// shared memory in the one, transferred chunks in the other, the same bits in both.
describe.skipIf(!available)("pools in the browser", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  for (const isolated of [true, false]) {
    it(`runs batches on 2 workers ${isolated ? "with shared memory (a cross-origin-isolated page)" : "with transferred chunks (a page that is not isolated)"}`, async () => {
      const server = await serve(0, { isolated }) as { url: string; close(): Promise<void> };
      const page = await browser.newPage();
      try {
        const problems: string[] = [];
        page.on("pageerror", (e) => problems.push(e.message));
        await page.goto(server.url);
        // (a string, so that vitest does not rewrite the page's import)
        await page.evaluate("import('gradients').then((g) => { window.__gradients = g; })");
        const r = await page.evaluate(async () => {
          const g = (window as unknown as { __gradients: typeof import("../../dist/index.js") }).__gradients;
          const pool = g.createPool({ size: 2 });
          const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));
          const F = g.compile(["x*y*sin(z)", "exp(x)*cos(y) + z^2", "x/(1+y^2) + sqrt(z)"], { vars: ["x", "y", "z"] });
          const N = 5000;
          const X = new g.Tensor([N, 3], Float64Array.from({ length: 3 * N }, (_, i) => 0.5 + (i % 97) / 50));
          let chunks = 0;
          const J = await F.jacobianAsync(X, { pool, chunkSize: 700, onProgress: () => chunks++ }) as InstanceType<typeof g.Tensor>;
          const field = Float64Array.from({ length: 300 * 200 }, (_, i) => Math.sin(i / 300) * (i % 200));
          const grads = await g.grid.gradientAsync(field, [300, 200], { pool, chunkSize: 40 }) as Float64Array[];
          const want = g.grid.gradient(field, [300, 200]) as Float64Array[];
          const f = g.compile("z^2 + sin(w)", { vars: ["z", "w"] });
          const q = { mu: [0.5, 1], sigma: [1, 2] }, o = { samples: 3 * 65536 + 5, seed: 3 };
          const est = await g.reparam.gaussianAsync(f, q, { ...o, pool });
          const sync = g.reparam.gaussian(f, q, o);
          const controller = new AbortController();
          let aborted = "";
          try {
            await F.jacobianAsync(X, { pool, chunkSize: 100, signal: controller.signal, onProgress: () => controller.abort() });
          } catch (e) {
            aborted = (e as Error).name;
          }
          await pool.terminate();
          return {
            isolated: crossOriginIsolated,
            shared: typeof SharedArrayBuffer === "function" && J.data.buffer instanceof SharedArrayBuffer,
            jacobian: same(J.data, F.jacobian(X).data), chunks,
            grid: same(grads[0], want[0]) && same(grads[1], want[1]),
            reparam: est.value === sync.value && same(est.dmu, sync.dmu) && same(est.stderr.dsigma!, sync.stderr.dsigma!),
            aborted,
          };
        });
        expect(problems).toEqual([]);
        expect(r).toEqual({ isolated, shared: isolated, jacobian: true, chunks: 9, grid: true, reparam: true, aborted: "AbortError" });
      } finally {
        await page.close();
        await server.close();
      }
    }, 60_000);
  }
});
