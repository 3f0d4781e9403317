// The languages `ferrite-wasm build` compiles, as a table: each entry says which function sources
// it takes and loads its builder on first use. To add a language, write cli/build/<lang>.ts
// exporting a LanguageBuilder and add one row here; stamps, ABI checks and reports are shared.
import type { Diagnostic } from "./diagnostics.js";
import type { FunctionSpec, Manifest } from "../project/manifest.js";

export type { Diagnostic } from "./diagnostics.js";

/** What one compile produced. */
export interface Compiled {
  ok: boolean;
  wasm?: Uint8Array;
  /** Source map JSON, when the compiler writes one. */
  sourceMap?: string;
  /** Project files the compiler read (relative to the project root): a change to one rebuilds. */
  inputs: string[];
  diagnostics: Diagnostic[];
  durationMs: number;
}

export interface CompileRequest {
  fn: FunctionSpec;
  manifest: Manifest;
  /** The unoptimized build that keeps names. */
  debug: boolean;
}

export interface LanguageBuilder {
  /** Changes whenever the toolkit's side of this language changes (SDK, compiler, flags): part of every build stamp. */
  fingerprint(): string;
  compile(request: CompileRequest): Promise<Compiled>;
  /** Optional: make the next compile fast (a compiler that is slow on its first build in a process). */
  warmUp?(request: CompileRequest): Promise<void>;
}

export interface Language {
  name: string;
  /** True when this language builds the function declared with this source (as written in ferrite.toml). */
  takes(source: string): boolean;
  /** File names whose change may change a build (extensions such as ".ts", or names such as "Cargo.toml"): watched by dev and build --watch. */
  watches: readonly string[];
  load(): Promise<LanguageBuilder>;
}

export const LANGUAGES: readonly Language[] = [
  { name: "assemblyscript", takes: (s) => s.endsWith(".ts"), watches: [".ts"], load: async () => (await import("./assemblyscript.js")).assemblyscript },
  { name: "rust", takes: (s) => s.endsWith(".rs"), watches: [".rs", "Cargo.toml"], load: async () => (await import("./rust.js")).rust },
  { name: "c", takes: (s) => s.endsWith(".c"), watches: [".c", ".h"], load: async () => (await import("./c.js")).c },
];

/** The language that builds `fn`, or null when no language takes its source. */
export function languageOf(fn: Pick<FunctionSpec, "source">): Language | null {
  return LANGUAGES.find((l) => l.takes(fn.source)) ?? null;
}
