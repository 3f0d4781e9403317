// The [server] settings of logs, the slow log, the flight recorder and metrics: their schema (spread
// into server/config/schema.ts) and their CONFIG GET/SET names (spread into commands/admin.ts).
// The slow log's are named and defaulted as Redis's.
import { z } from "zod";
import { parseMemoryLimit } from "../../runtime-sim/index.js";
import type { ServerContext } from "../context.js";

const size = (what: string) =>
  z.union([z.number(), z.string()]).superRefine((value, ctx) => {
    try {
      parseMemoryLimit(value);
    } catch {
      ctx.addIssue({ code: "custom", message: `invalid ${what} ${JSON.stringify(value)}: use a size such as "1MB", "512KB" or a number of bytes` });
    }
  });

export const OBSERVABILITY_DEFAULTS = {
  slowlog_log_slower_than: 10_000,
  slowlog_max_len: 128,
  logs_max_len: 1000,
  flight_recorder_max_len: 10,
  flight_recorder_max_bytes: "1MB",
} as const;

export const observabilityFields = {
  /** Calls that take at least this many microseconds go in WASM.SLOWLOG; 0 logs every call, a negative value none. */
  slowlog_log_slower_than: z.number().int().default(OBSERVABILITY_DEFAULTS.slowlog_log_slower_than),
  /** Entries WASM.SLOWLOG keeps. */
  slowlog_max_len: z.number().int().min(0).default(OBSERVABILITY_DEFAULTS.slowlog_max_len),
  /** Log lines and call events WASM.LOGS keeps per function; 0 keeps none. */
  logs_max_len: z.number().int().min(0).max(1_000_000).default(OBSERVABILITY_DEFAULTS.logs_max_len),
  /** Failed calls the flight recorder keeps per function; 0 turns it off. */
  flight_recorder_max_len: z.number().int().min(0).max(10_000).default(OBSERVABILITY_DEFAULTS.flight_recorder_max_len),
  /** Bytes of failed-call records kept per function; a record bigger than this is not kept. */
  flight_recorder_max_bytes: size("flight_recorder_max_bytes").default(OBSERVABILITY_DEFAULTS.flight_recorder_max_bytes),
  /** Port of the Prometheus endpoint (http://metrics_bind:PORT/metrics); unset: none; 0 picks a free port. */
  metrics_port: z.number().int().min(0).max(65535).optional(),
  /** Address the metrics endpoint listens on. */
  metrics_bind: z.string().min(1).default("127.0.0.1"),
};

/** The settings CONFIG SET may change while the server runs. */
export interface ObservabilitySettings {
  slowlogLogSlowerThan: number;
  slowlogMaxLen: number;
  logsMaxLen: number;
  recorderMaxLen: number;
  recorderMaxBytes: number;
}

interface Param {
  get(s: ServerContext): string;
  set?(s: ServerContext, value: string): void;
}

function int(value: string, min: number, what: string): number {
  if (!/^-?[0-9]{1,15}$/.test(value) || Number(value) < min) throw new Error(`argument must be ${what}`);
  return Number(value);
}

/** CONFIG GET / SET names, as Redis spells its own. */
export const OBSERVABILITY_PARAMS: Record<string, Param> = {
  "slowlog-log-slower-than": {
    get: (s) => String(s.observe.settings.slowlogLogSlowerThan),
    set: (s, v) => s.observe.configure({ slowlogLogSlowerThan: int(v, -Infinity, "an integer number of microseconds") }),
  },
  "slowlog-max-len": {
    get: (s) => String(s.observe.settings.slowlogMaxLen),
    set: (s, v) => s.observe.configure({ slowlogMaxLen: int(v, 0, "an integer of at least 0") }),
  },
  "logs-max-len": {
    get: (s) => String(s.observe.settings.logsMaxLen),
    set: (s, v) => s.observe.configure({ logsMaxLen: Math.min(int(v, 0, "an integer of at least 0"), 1_000_000) }),
  },
  "flight-recorder-max-len": {
    get: (s) => String(s.observe.settings.recorderMaxLen),
    set: (s, v) => s.observe.configure({ recorderMaxLen: Math.min(int(v, 0, "an integer of at least 0"), 10_000) }),
  },
  "flight-recorder-max-bytes": {
    get: (s) => String(s.observe.settings.recorderMaxBytes),
    set(s, v) {
      let n: number;
      try {
        n = /^[0-9]+$/.test(v) ? Number(v) : parseMemoryLimit(v);
      } catch {
        throw new Error("argument must be a memory value such as 1mb");
      }
      s.observe.configure({ recorderMaxBytes: n });
    },
  },
  "metrics-port": { get: (s) => (s.config.server.metrics_port === undefined ? "" : String(s.observe.metricsPort ?? s.config.server.metrics_port)) },
  "metrics-bind": { get: (s) => s.config.server.metrics_bind },
};
