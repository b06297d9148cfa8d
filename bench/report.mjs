// Shared benchmark helpers: run a tinybench Bench and report each task as a
// ratio to the plain JavaScript baseline measured in the same run.
import { Bench } from "tinybench";

/**
 * Runs `tasks` ({ name: fn }) — the first is the baseline — interleaved in one
 * process, and prints mean and median times with the ratio to the baseline.
 * Returns { name: ratio of medians }.
 */
export async function compare(title, tasks, { time = 1000, warmupTime = 200, iterations, warmupIterations } = {}) {
  // (tinybench runs at least `iterations` calls, 64 by default: fewer for calls of a second)
  const bench = new Bench({ name: title, time, warmupTime, ...(iterations ? { iterations, warmupIterations } : {}) });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  const [baseline] = bench.tasks;
  const median = (t) => t.result.latency.p50;
  console.log(`\n${title}`);
  const rows = {};
  for (const task of bench.tasks) {
    const ratio = median(task) / median(baseline);
    rows[task.name] = ratio;
    console.log(
      `  ${task.name.padEnd(48)} median ${formatTime(median(task)).padStart(10)}  ` +
      `mean ${formatTime(task.result.latency.mean).padStart(10)}  ×${ratio.toFixed(2)}`,
    );
  }
  return rows;
}

function formatTime(ms) {
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  if (ms >= 1e-3) return `${(ms * 1e3).toFixed(2)} µs`;
  return `${(ms * 1e6).toFixed(0)} ns`;
}
