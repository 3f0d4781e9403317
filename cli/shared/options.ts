// The option blocks several commands share, each declared once: flags, parser and a default help
// line a command may reword (what a grant means differs between `call`, `check` and `update`).
import { type Command, InvalidArgumentError } from "commander";
import { CAPABILITIES, parseCapabilities, parseMemoryLimit, parseTimeout, type Capability } from "../../runtime-sim/index.js";

const NAMES = [...CAPABILITIES, "all"];

/** "read,write" or "read write" (or "" for none) -> ["read", "write"]. */
export function capabilityList(value: string): (Capability | "all")[] {
  const names = value.split(/[\s,]+/).filter(Boolean).map((n) => n.toLowerCase());
  for (const n of names) {
    try {
      parseCapabilities([n]);
    } catch {
      throw new InvalidArgumentError(`'${n}' is not a capability; use ${NAMES.join(", ")} (comma-separated, or "" for none).`);
    }
  }
  return names as (Capability | "all")[];
}

export function memoryLimit(value: string): string {
  try {
    parseMemoryLimit(value);
  } catch {
    throw new InvalidArgumentError(`'${value}' is not a memory limit; write a size such as 512KB or 10MB.`);
  }
  return value;
}

export function timeoutMs(value: string): number {
  try {
    return parseTimeout(value);
  } catch {
    throw new InvalidArgumentError(`'${value}' is not a timeout; write whole milliseconds above 0 (at most an hour), e.g. 1000.`);
  }
}

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`'${value}' is not a port; use 0-65535 (0 picks a free one).`);
  return n;
}

/** What the shared blocks parse to; a command's options interface extends it. */
export interface SharedOptions {
  json?: boolean;
  url?: string;
  capabilities?: (Capability | "all")[];
  memory?: string;
  timeout?: number;
  entry?: string;
  readOnly?: boolean;
  port?: number;
  /** With url: PEM files for TLS (rediss://). */
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** The options of a command that talks to a server. */
export type RemoteOptions = Pick<SharedOptions, "json" | "url" | "tlsCa" | "tlsCert" | "tlsKey">;

interface Block {
  flags: string;
  help: string;
  parse?: (value: string) => unknown;
}

const BLOCKS = {
  capabilities: { flags: "--capabilities <list>", help: 'grant these, e.g. read,write ("" for none)', parse: capabilityList },
  memory: { flags: "--memory <size>", help: "memory limit, e.g. 10MB", parse: memoryLimit },
  timeout: { flags: "--timeout <ms>", help: "timeout in milliseconds", parse: timeoutMs },
  entry: { flags: "--entry <export>", help: "the export to run, when it is not named like the function" },
  readOnly: { flags: "--read-only", help: "call as WASM.CALLREAD: any write fails the call" },
  url: {
    flags: "--url <url>",
    help: "the server: redis://[user:pass@]host:port, or rediss:// for TLS (default: $FERRITE_URL or redis://127.0.0.1:6379)",
  },
  port: { flags: "-p, --port <port>", help: "TCP port (default 6379; 0 picks a free one)", parse: port },
  tlsCa: { flags: "--tls-ca <file>", help: "with rediss://: the CA certificate (PEM) that signed the server's (default: $FERRITE_TLS_CA)" },
  tlsCert: { flags: "--tls-cert <file>", help: "with rediss://: a client certificate (PEM), for servers with tls_auth_clients (default: $FERRITE_TLS_CERT)" },
  tlsKey: { flags: "--tls-key <file>", help: "the key of --tls-cert (default: $FERRITE_TLS_KEY)" },
} satisfies Record<Exclude<keyof SharedOptions, "json">, Block>;

export type OptionBlock = keyof typeof BLOCKS;

/**
 * Adds shared option blocks to a command, in the order given: `true` keeps the block's help line,
 * a string replaces it. (`--json` every command gets from the program.)
 */
export function withOptions(cmd: Command, blocks: Partial<Record<OptionBlock, true | string>>): Command {
  for (const [name, help] of Object.entries(blocks) as [OptionBlock, true | string][]) {
    const block: Block = BLOCKS[name];
    if (block.parse) cmd.option(block.flags, help === true ? block.help : help, block.parse);
    else cmd.option(block.flags, help === true ? block.help : help);
    // Every command that takes --url may need TLS files for a rediss:// server.
    if (name === "url") for (const t of ["tlsCa", "tlsCert", "tlsKey"] as const) cmd.option(BLOCKS[t].flags, BLOCKS[t].help);
  }
  return cmd;
}
