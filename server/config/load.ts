// TOML file + flag overrides -> a parsed config, or a ConfigError naming the file, the key and the fix.
import { readFile } from "node:fs/promises";
import { parse as parseToml, TomlError } from "smol-toml";
import type { z } from "zod";
import { FerriteError } from "../../runtime-sim/index.js";
import { configSchema, type ConfigInput, type FerriteConfig } from "./schema.js";

/** A configuration that cannot be used. `message` names the file, the key and the fix. */
export class ConfigError extends FerriteError<"ERR_CONFIG"> {
  constructor(message: string, file: string | null, key: string | null, cause?: unknown) {
    super("ERR_CONFIG", message, null, { file, key }, cause);
    this.name = "ConfigError [ERR_CONFIG]";
  }

  /** The file concerned, or null for flags and in-process options. */
  get file(): string | null {
    return this.data.file;
  }

  /** Dotted key, e.g. "server.port"; null when the file as a whole is at fault. */
  get key(): string | null {
    return this.data.key;
  }
}

export interface LoadConfigOptions {
  /** A TOML file; without one the embedded defaults apply. */
  file?: string;
  /** Values that win over the file (command-line flags), same shape as the file. */
  overrides?: ConfigInput;
}

/** Reads, merges and validates. Never returns a half-valid config. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<FerriteConfig> {
  let fromFile: Record<string, unknown> = {};
  if (options.file) {
    let text: string;
    try {
      text = await readFile(options.file, "utf8");
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : `cannot be read (${(e as Error).message})`;
      throw new ConfigError(`config file ${options.file} ${why}; create it or leave out the config option to use the defaults`, options.file, null, e);
    }
    fromFile = parseTomlText(text, options.file);
  }
  const merged = deepMerge(fromFile, (options.overrides ?? {}) as Record<string, unknown>);
  return parseConfig(merged, options.file ?? null);
}

/** Validates an in-memory config (what startServer is given). */
export function parseConfig(input: unknown, file: string | null = null): FerriteConfig {
  const result = configSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw describe(result.error, file);
}

function parseTomlText(text: string, file: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split("\n")[0];
      throw new ConfigError(`${file}:${e.line}:${e.column}: ${first}; fix the TOML syntax there`, file, null, e);
    }
    throw e;
  }
}

function describe(error: z.ZodError, file: string | null): ConfigError {
  const lines = error.issues.map((issue) => {
    const key = issue.path.map(String).join(".");
    return `${key || "(top level)"}: ${issueText(issue)}`;
  });
  const first = error.issues[0];
  const where = file ?? "configuration";
  return new ConfigError(`${where}: ${lines.join("; ")}`, file, first ? first.path.map(String).join(".") || null : null, error);
}

function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}; check the spelling (see docs/config.md)`;
  }
  if (issue.code === "invalid_type") {
    return `expected ${issue.expected}; ${issue.message.startsWith("Invalid input") ? "change the value's type" : issue.message}`;
  }
  return issue.message;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Objects merge key by key; anything else (arrays included) in `b` replaces `a`. Undefined is skipped. */
export function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}
