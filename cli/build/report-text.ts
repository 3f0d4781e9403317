// The ABI report as terminal lines, shared by `build` and `check`.
import type { AbiReport, Problem } from "./report.js";
import { size, type Output } from "../shared/print.js";

export interface Heading {
  /** What the report is about: a function name or a file. */
  title: string;
  /** Shown after the title, dimmed: the module's path, build time, ... */
  detail?: string;
}

export function reportLines(report: AbiReport, heading: Heading, out: Output): string[] {
  const { c, sym } = out;
  const warned = report.problems.some((p) => p.level === "warning");
  const mark = !report.ok ? sym.fail : warned ? sym.warn : sym.ok;
  const lines = [
    `${mark} ${c.bold(heading.title)}  ${size(report.size.raw)} ${c.dim(`(gzip ${size(report.size.gzip)})`)}${heading.detail ? "  " + c.dim(heading.detail) : ""}`,
  ];
  const row = (label: string, value: string) => lines.push(`    ${c.dim(label.padEnd(13))}${value}`);
  if (report.entry) row("entry", report.entry);
  else if (report.entries.length) row("entries", report.entries.join(", "));
  row("imports", report.imports.length ? report.imports.join(", ") : "none");
  const caps = report.capabilities;
  const needs = caps.needed.length ? caps.needed.join(", ") : "none";
  const grants = caps.granted === null ? "" : ` ${c.dim("·")} grants ${caps.granted.length ? caps.granted.join(", ") : "none"}`;
  row("capabilities", `needs ${needs}${grants}`);
  if (report.memory) {
    const max = report.memory.maxBytes === null ? "" : ` ${c.dim("·")} declared max ${size(report.memory.maxBytes)}`;
    row("memory", `initial ${size(report.memory.initialBytes)}${max}`);
  }
  for (const p of report.problems) lines.push(...problemLines(p, out));
  return lines;
}

export function problemLines(p: Problem, out: Output): string[] {
  const { c, sym } = out;
  const mark = p.level === "error" ? sym.fail : sym.warn;
  const text = p.level === "error" ? c.red(p.message) : c.yellow(p.message);
  const lines = [`    ${mark} ${text}`];
  if (p.fix) lines.push(`      ${c.cyan("fix")} ${p.fix}`);
  return lines;
}
