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
export function table(title: string, rows: Array<{ name: string; ns: number; base?: number; target?: string }>, statistic = "median"): void {
  console.log(`\n## ${title}`);
  console.log(`| case | ${statistic} | vs baseline | target |`);
  console.log(`|---|---|---|---|`);
  for (const r of rows) {
    const ratio = r.base ? `${(r.ns / r.base).toFixed(2)}x` : "baseline";
    console.log(`| ${r.name} | ${fmt(r.ns)} | ${ratio} | ${r.target ?? ""} |`);
  }
}

/**
 * `base` and `fn` measured in alternating short batches, so both see the same machine, each
 * reported at its 10th percentile: on a shared, busy machine a batch is often descheduled or hit
 * by a GC running on a starved thread, and a longer operation's batches are hit more often, so a
 * median compares interruptions rather than code. The fastest tenth is what each costs on a core.
 */
export function measurePair(
  baseName: string,
  base: () => unknown,
  name: string,
  fn: () => unknown,
  { batch = 1000, samples = 301, warmup = 30 } = {},
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
  const p10 = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 10)];
  return [
    { name: baseName, ns: p10(a) },
    { name, ns: p10(b) },
  ];
}
