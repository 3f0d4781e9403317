// Terminal output: colours that switch off when the stream is not a terminal (or NO_COLOR is set),
// a spinner on stderr for long steps, and --json mode, where stdout carries one JSON document
// and nothing else.
import { fstatSync } from "node:fs";
import type { Writable } from "node:stream";
import pc from "picocolors";
import yoctoSpinner from "yocto-spinner";

export type Colors = ReturnType<typeof pc.createColors>;

export interface Progress {
  /** Replaces the progress text. */
  update(text: string): void;
  /** Ends the step; the caller prints the outcome. */
  stop(): void;
}

export interface Output {
  readonly json: boolean;
  readonly c: Colors;
  /** A line of human output on stdout (dropped in --json mode). */
  line(text?: string): void;
  /** A line on stderr (dropped in --json mode). */
  note(text: string): void;
  /** The command's JSON document on stdout (--json mode only). */
  emit(value: unknown): void;
  /** A spinner on stderr while a long step runs (a no-op unless stderr is a terminal). */
  progress(text: string): Progress;
  /** Symbols that read well with or without colour. */
  readonly sym: { ok: string; fail: string; warn: string; info: string; arrow: string };
}

export interface OutputOptions {
  json?: boolean;
  stdout?: Writable & { isTTY?: boolean };
  stderr?: Writable & { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
}

/** Colour when the stream is a terminal, unless NO_COLOR; FORCE_COLOR overrides both ways. */
const ANSI = /\x1b\[[0-9;]*m/g;

export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false";
  return stream.isTTY === true && env.TERM !== "dumb";
}

export function createOutput(options: OutputOptions = {}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  const json = options.json === true;
  const colorOut = !json && colorEnabled(stdout, env);
  const colorErr = !json && colorEnabled(stderr, env);
  // One palette for both streams; each write drops the codes its stream should not get.
  const c = pc.createColors(colorOut || colorErr);
  const plain = (text: string, color: boolean) => (color ? text : text.replace(ANSI, ""));
  const spin = !json && stderr.isTTY === true && env.CI === undefined;
  return {
    json,
    c,
    sym: { ok: c.green("✔"), fail: c.red("✖"), warn: c.yellow("⚠"), info: c.cyan("ℹ"), arrow: c.dim("→") },
    line(text = "") {
      if (!json) stdout.write(plain(text, colorOut) + "\n");
    },
    note(text) {
      if (!json) stderr.write(plain(text, colorErr) + "\n");
    },
    emit(value) {
      if (json) stdout.write(JSON.stringify(value, null, 2) + "\n");
    },
    progress(text) {
      if (!spin) return { update() {}, stop() {} };
      const spinner = yoctoSpinner({ text, stream: stderr, color: "cyan" }).start();
      return {
        update(t) {
          spinner.text = t;
        },
        stop() {
          spinner.stop();
        },
      };
    },
  };
}

/** 11530 -> "11.3 KB"; sizes of modules read better in KB than in bytes. */
export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${trim((bytes / 1024).toFixed(1))} KB`;
  return `${trim((bytes / 1024 / 1024).toFixed(1))} MB`;
}

const trim = (n: string) => n.replace(/\.0$/, "");

/** 1234.5 -> "1.23 s", 12.3 -> "12 ms". */
export function duration(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(2)} ms`;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The bytes as text when they are UTF-8, else null. */
export function asText(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** True when stdout and stderr are the same file or pipe (`2>&1`). */
function merged(): boolean {
  try {
    const [a, b] = [fstatSync(1), fstatSync(2)];
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/** Writes to stdout; resolves once the OS has it, so what is written after (stderr, exit) comes after it. */
export function writeOut(data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(data, (e) => (e ? reject(e) : resolve())));
}

/**
 * A function's reply on stdout: UTF-8 text with a newline; other bytes as they are when piped
 * (byte-exact for a file), as hex on a terminal. Resolves once written, so the status line the
 * caller prints next on stderr cannot land inside or against it.
 */
export async function printReply(value: Uint8Array): Promise<void> {
  const text = asText(value);
  if (text !== null) return writeOut(text + "\n");
  if (process.stdout.isTTY) return writeOut(`<${value.byteLength} bytes> ${Buffer.from(value).toString("hex")}\n`);
  await writeOut(value);
  if (merged()) await writeOut("\n"); // the status line follows in the same stream: start it on its own line
}

/** Resolves once everything written to stdout and stderr so far is with the OS (before process.exit). */
export async function flushOutput(): Promise<void> {
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => s.write("", () => resolve()))));
}
