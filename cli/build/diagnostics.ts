// A compiler message, whatever the language: where it points and what it says. Kept apart from the
// compilers so reading a build's result never loads one.

export type DiagnosticCategory = "error" | "warning";

/** One compiler message, positioned in the source. */
export interface Diagnostic {
  /** Source path as the compiler names it: relative to cwd, or ~lib/... for libraries. "" when none. */
  file: string;
  /** 1-based; 0 when the message has no position. */
  line: number;
  /** 1-based; 0 when the message has no position. */
  column: number;
  message: string;
  category: DiagnosticCategory;
  /** AssemblyScript diagnostic code (e.g. 2304); 0 for failures outside the compiler proper. */
  code: number;
}

/** One line per diagnostic: "file:line:column - error TS2304: message" (AS codes below 1000). */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}:${d.line}:${d.column} - ` : "";
  const code = d.code ? ` ${d.code < 1000 ? "AS" : "TS"}${d.code}` : "";
  return `${where}${d.category}${code}: ${d.message}`;
}
