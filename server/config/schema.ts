// The server's configuration: the spec's `[wasm]` section exactly (plus http_allowed_hosts) and a
// `[server]` section. Strict objects, so a misspelt key is an error instead of a silent default.
import { z } from "zod";
import { CAPABILITIES, parseCapabilities, parseMemoryLimit, parseTimeout, type Capability } from "../../runtime-sim/index.js";
import { DEFAULTS } from "../../runtime-sim/host.js";
import { observabilityFields } from "../observability/config.js";

const CAPABILITY_NAMES = CAPABILITIES;

/** A size: "10MB", "512KB", "1GB" (powers of 1024) or a number of bytes. */
const size = (what: string) =>
  z.union([z.number(), z.string()]).superRefine((value, ctx) => {
    try {
      parseMemoryLimit(value);
    } catch {
      ctx.addIssue({ code: "custom", message: `invalid ${what} ${JSON.stringify(value)}: use a size such as "10MB", "512KB" or a number of bytes` });
    }
  });

/** A capability name, checked by the runtime's own parser; "all" only where `all` may stand. */
const capabilityName = (all: boolean) =>
  z
    .string()
    .superRefine((name, ctx) => {
      let known = all || name.toLowerCase() !== "all";
      try {
        parseCapabilities([name]);
      } catch {
        known = false;
      }
      if (!known) ctx.addIssue({ code: "custom", message: `unknown capability ${JSON.stringify(name)}: use ${CAPABILITY_NAMES.join(", ")}${all ? " or all" : ""}` });
    })
    .transform((name) => name.toLowerCase());
const capability = capabilityName(true).transform((name) => name as Capability | "all");
const allowedCapability = capabilityName(false).transform((name) => name as Capability);

export const capabilitiesSchema = z
  .strictObject({
    /** Granted to a load that names none (spec: default = ["read", "log"]). */
    default: z.array(capability).default([...DEFAULTS.capabilities]),
    /** The most a load may ask for (spec: all seven). */
    allowed: z.array(allowedCapability).default([...CAPABILITY_NAMES]),
  })
  .superRefine((caps, ctx) => {
    for (const c of caps.default) {
      if (c !== "all" && !caps.allowed.includes(c)) {
        ctx.addIssue({ code: "custom", path: ["default"], message: `'${c}' is a default capability but not in wasm.capabilities.allowed; add it to allowed or drop it from default` });
      }
    }
  });

/** [wasm] memory_budget when the file does not set it: one function at wasm32's largest memory, or 400 at the default 10MB. */
export const MEMORY_BUDGET_DEFAULT = "4GB";

export const wasmSchema = z.strictObject({
  enabled: z.boolean().default(true),
  plugins_dir: z.string().min(1).default("/var/lib/ferrite/plugins"),
  max_functions: z.number().int().min(1).max(100_000).default(DEFAULTS.maxFunctions),
  /** Largest module WASM.LOAD/LOADB take; bigger ones are refused before any work. Unset: the runtime's 16MB. */
  max_module_size: size("max_module_size").optional(),
  /** Most functions a module may define (instrumenting costs time per function). Unset: 50000. */
  max_module_functions: z.number().int().min(1).max(10_000_000).optional(),
  default_memory_limit: size("memory limit").default(DEFAULTS.memoryLimit),
  default_timeout_ms: z
    .number()
    .superRefine((ms, ctx) => {
      try {
        parseTimeout(ms);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: (e as Error).message });
      }
    })
    .default(DEFAULTS.timeoutMs),
  /** What every function's memory limit (MEMORY) may add up to; a load or update past it is refused.
   * Unset: MEMORY_BUDGET_DEFAULT (the server applies it, so the spec's section parses unchanged). */
  memory_budget: size("memory budget").optional(),
  // Functions always run sandboxed; accepting false would promise something the runtime does not do.
  sandbox: z.literal(true, { error: "sandbox = false is not supported: functions always run sandboxed; remove the key or set it to true" }).default(true),
  /** Hosts `ferrite_http` may reach ("api.example.com" or "host:port"). */
  http_allowed_hosts: z.array(z.string().min(1)).default([]),
  capabilities: capabilitiesSchema.prefault({}),
});

/**
 * A user: Redis ACL rules (`"on >secret ~user:* +@wasm-call"`, docs/config.md). The older shape
 * `{ name, password, enabled }` still works: it means `on|off >password` with every permission.
 */
const userSchema = z
  .strictObject({
    name: z.string().regex(/^[!-~]{1,128}$/, "a user name is 1-128 printable characters without spaces"),
    rules: z.string().optional(),
    password: z.string().min(1, "a user needs a non-empty password").optional(),
    enabled: z.boolean().optional(),
  })
  .superRefine((u, ctx) => {
    if (u.rules !== undefined && (u.password !== undefined || u.enabled !== undefined)) {
      ctx.addIssue({ code: "custom", message: `user '${u.name}': give either rules or password/enabled, not both; put the password in rules as ">password"` });
    }
    if (u.rules === undefined && u.password === undefined) {
      ctx.addIssue({ code: "custom", message: `user '${u.name}' needs rules, e.g. rules = "on >secret ~* +@all"` });
    }
  });

const tlsAuthClients = z.enum(["yes", "optional", "no"], {
  error: (issue) => `tls_auth_clients must be "yes", "optional" or "no", not ${JSON.stringify(issue.input)}`,
});

const storeUrl = z.string().refine((s) => s === "memory" || /^rediss?:\/\/[^\s]+$/.test(s), {
  message: 'store must be "memory" or a URL like "redis://127.0.0.1:6380" (rediss:// for TLS)',
});

export const serverSchema = z.strictObject({
  /** Address to listen on. Anything but loopback exposes the server: set requirepass. */
  bind: z.string().min(1).default("127.0.0.1"),
  /** TCP port; 0 picks a free one, or turns plain TCP off when tls_port is set (as Redis). */
  port: z.number().int().min(0).max(65535).default(6379),
  /** TLS port, beside or instead of port. Unset: no TLS; 0 picks a free one. */
  tls_port: z.number().int().min(0).max(65535).optional(),
  /** PEM certificate (chain) and private key the TLS port presents. */
  tls_cert_file: z.string().min(1).optional(),
  tls_key_file: z.string().min(1).optional(),
  /** PEM CA bundle that client certificates must chain to (tls_auth_clients "yes"/"optional"). */
  tls_ca_cert_file: z.string().min(1).optional(),
  /** "yes": clients must present a certificate (Redis's default); "optional": checked if given; "no". */
  tls_auth_clients: tlsAuthClients.default("yes"),
  /** Password of the `default` user (AUTH pass). Unset: no password. */
  requirepass: z.string().min(1).optional(),
  /** Users with ACL rules (AUTH user pass). Adding users does not make AUTH mandatory by itself. */
  users: z.array(userSchema).default([]),
  /** Where loaded functions are kept across restarts. Unset: nothing is persisted. */
  data_dir: z.string().min(1).optional(),
  /** Largest request argument (Redis proto-max-bulk-len); bigger requests are refused. */
  max_bulk_len: size("max_bulk_len").default("64MB"),
  /** Most bytes one request may hold while it is being received (Redis client-query-buffer-limit). */
  client_query_buffer_limit: size("client_query_buffer_limit").default("128MB"),
  /**
   * Replies waiting for one client: "hard soft seconds" (Redis client-output-buffer-limit, normal
   * class). Past hard, or over soft for that many seconds, the client is disconnected. 0 = no limit.
   */
  client_output_buffer_limit: z
    .string()
    .superRefine((value, ctx) => {
      try {
        parseOutputLimit(value);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: (e as Error).message });
      }
    })
    .default("256mb 64mb 60"),
  /** Number of databases (SELECT 0..n-1) of the embedded store. */
  databases: z.number().int().min(1).max(65536).default(16),
  /** The keyspace: "memory" (embedded) or a Redis-compatible server's URL. */
  store: storeUrl.default("memory"),
  /** How long a function waits for the store before its call fails, in ms. */
  store_timeout_ms: z.number().int().min(1).max(60_000).default(2000),
  /** Logs, slow log, flight recorder, metrics: docs/observability.md. */
  ...observabilityFields,
});

const checkedServer = serverSchema.superRefine((s, ctx) => {
  if (s.tls_port === undefined) {
    for (const k of ["tls_cert_file", "tls_key_file", "tls_ca_cert_file"] as const) {
      if (s[k] !== undefined) ctx.addIssue({ code: "custom", path: [k], message: `${k} is set but tls_port is not; set tls_port to serve TLS, or remove ${k}` });
    }
    return;
  }
  for (const k of ["tls_cert_file", "tls_key_file"] as const) {
    if (s[k] === undefined) ctx.addIssue({ code: "custom", path: [k], message: `tls_port needs ${k} (a PEM file)` });
  }
  if (s.tls_auth_clients !== "no" && s.tls_ca_cert_file === undefined) {
    ctx.addIssue({ code: "custom", path: ["tls_ca_cert_file"], message: `tls_auth_clients = "${s.tls_auth_clients}" needs tls_ca_cert_file (the CA client certificates chain to), or set tls_auth_clients = "no"` });
  }
  if (s.port !== 0 && s.port === s.tls_port) {
    ctx.addIssue({ code: "custom", path: ["tls_port"], message: `tls_port and port are both ${s.port}; give TLS its own port, or set port = 0 for TLS only` });
  }
});

export const configSchema = z
  .strictObject({
    server: checkedServer.prefault({}),
    wasm: wasmSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    try {
      if (parseMemoryLimit(c.server.client_query_buffer_limit) < parseMemoryLimit(c.server.max_bulk_len)) {
        ctx.addIssue({
          code: "custom",
          path: ["server", "client_query_buffer_limit"],
          message: "client_query_buffer_limit is smaller than max_bulk_len, so a request with the largest allowed argument could never arrive; raise it or lower max_bulk_len",
        });
      }
    } catch {
      // invalid sizes are reported by their own keys
    }
  });

/** The parsed configuration: every default filled in. */
export type FerriteConfig = z.output<typeof configSchema>;
/** What a file or a caller may give: every key optional. */
export type ConfigInput = z.input<typeof configSchema>;
export type ServerConfig = FerriteConfig["server"];
export type WasmConfig = FerriteConfig["wasm"];

/** The embedded defaults, so `serve` with no file works. */
export const DEFAULT_CONFIG: FerriteConfig = configSchema.parse({});

/** client_output_buffer_limit as bytes and seconds; 0 means no limit. */
export interface OutputLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

/**
 * Redis's form: "256mb 64mb 60" or "normal 256mb 64mb 60" (the class Redis applies it to; other
 * classes do not exist here). Sizes as Redis reads them: 1k = 1000, 1kb = 1024, plain bytes.
 */
export function parseOutputLimit(text: string): OutputLimit {
  const words = text.trim().split(/\s+/);
  if (words[0]?.toLowerCase() === "normal") words.shift();
  else if (/^(replica|slave|pubsub)$/i.test(words[0] ?? "")) {
    throw new Error(`client output buffer limit class '${words[0]}' does not exist here; give the normal class's "hard soft seconds", e.g. "256mb 64mb 60"`);
  }
  if (words.length !== 3) throw new Error(`invalid client output buffer limit "${text}": use "hard soft seconds", e.g. "256mb 64mb 60" (0 = no limit)`);
  const [hard, soft] = words.slice(0, 2).map((w) => redisBytes(w, "client output buffer limit"));
  if (!/^[0-9]+$/.test(words[2])) throw new Error(`invalid client output buffer limit seconds "${words[2]}": use a whole number of seconds`);
  return { hard, soft, softSeconds: Number(words[2]) };
}

const REDIS_UNITS: Record<string, number> = { "": 1, b: 1, k: 1000, kb: 1024, m: 1000 ** 2, mb: 1024 ** 2, g: 1000 ** 3, gb: 1024 ** 3 };

/** A size as Redis's memtoull reads it ("64mb", "1gb", "100k", "0"). */
export function redisBytes(word: string, what: string): number {
  const m = /^([0-9]+)([a-z]*)$/i.exec(word);
  const unit = m?.[2].toLowerCase() ?? "";
  if (!m || !(unit in REDIS_UNITS)) throw new Error(`invalid ${what} size "${word}": use bytes or a size such as 64mb, 1gb`);
  const n = Number(m[1]) * REDIS_UNITS[unit];
  if (!Number.isSafeInteger(n)) throw new Error(`invalid ${what} size "${word}": too large`);
  return n;
}

/** The sizes as bytes. */
export function bytesOf(value: string | number): number {
  return parseMemoryLimit(value);
}
