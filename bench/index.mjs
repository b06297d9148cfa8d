// `npm run bench`: every workload, each timed against its hand-written JavaScript
// baseline in the same process. Ratios are medians over the run (× baseline time:
// below 1 is faster than the baseline). Absolute times on a shared machine mean little.
console.log(`gradients benchmarks — Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
await import("./jacobian.mjs");
await import("./matrix.mjs");
await import("./gradient.mjs");
await import("./grid.mjs");
await import("./fd.mjs");
await import("./reparam.mjs");
await import("./textbook.mjs");
await import("./workloads.mjs");
await import("./fitting.mjs");
await import("./pool.mjs");
