// Tiny timing helpers: median of repeated batches, printed as a table with ratios to a baseline.
import { performance } from "node:perf_hooks";

export interface Sample {
  name: string;
  /** Median time per operation, nanoseconds. */
  ns: number;
}

/** Median ns per call of `fn`, over `samples` batches of `batch` calls after a warm-up. */
export function measure(name: string, fn: () => unknown, { batch = 10_000, samples = 21, warmup = 3 } = {}): Sample {
  for (let i = 0; i < warmup * batch; i++) fn();
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) fn();
    times.push(((performance.now() - t) * 1e6) / batch);
  }
  times.sort((a, b) => a - b);
  return { name, ns: times[Math.floor(times.length / 2)] };
}

export function fmt(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(3)} µs`;
  return `${ns.toFixed(0)} ns`;
}

/** Prints rows "name | time | ratio to baseline | target". */
export function table(title: string, rows: Array<{ name: string; ns: number; base?: number; target?: string }>): void {
  console.log(`\n## ${title}`);
  console.log(`| case | median | vs baseline | target |`);
  console.log(`|---|---|---|---|`);
  for (const r of rows) {
    const ratio = r.base ? `${(r.ns / r.base).toFixed(2)}x` : "baseline";
    console.log(`| ${r.name} | ${fmt(r.ns)} | ${ratio} | ${r.target ?? ""} |`);
  }
}

/**
 * Medians of `base` and `fn` measured in alternating batches, so both see the same machine: on a
 * shared, busy machine the load changes from one second to the next, and a ratio of two
 * measurements taken apart says more about the load than about the code.
 */
export function measurePair(
  baseName: string,
  base: () => unknown,
  name: string,
  fn: () => unknown,
  { batch = 10_000, samples = 31, warmup = 3 } = {},
): [Sample, Sample] {
  for (let i = 0; i < warmup * batch; i++) {
    base();
    fn();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let s = 0; s < samples; s++) {
    let t = performance.now();
    for (let i = 0; i < batch; i++) base();
    a.push(((performance.now() - t) * 1e6) / batch);
    t = performance.now();
    for (let i = 0; i < batch; i++) fn();
    b.push(((performance.now() - t) * 1e6) / batch);
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return [
    { name: baseName, ns: median(a) },
    { name, ns: median(b) },
  ];
}
