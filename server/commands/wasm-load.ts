// WASM.LOAD, WASM.LOADB, WASM.UPDATE, WASM.RELOAD, WASM.UNLOAD (ABI v1 command grammar):
//   WASM.LOAD name path [CAPABILITIES c ...] [MEMORY m] [TIMEOUT ms] [KEYS pattern ...] [REPLACE]
// Keywords are case-insensitive; CAPABILITIES and KEYS take values up to the next keyword (a key
// pattern spelt like a keyword is written with a backslash: \\MEMORY matches the key MEMORY).
import type { Capability, LoadOptions } from "../../runtime-sim/index.js";
import { parseTimeout } from "../../runtime-sim/index.js";
import { OK } from "../resp.js";
import { keyword, syntaxError, text } from "./args.js";
import { clip, type CommandSpec } from "./registry.js";

const KEYWORDS = new Set(["CAPABILITIES", "MEMORY", "TIMEOUT", "KEYS", "REPLACE"]);

/** Starts with the wasm magic number "\0asm". */
const isWasm = (b: Buffer) => b.length >= 4 && b[0] === 0 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d;

/** Parses the options from args[from] on; REPLACE only where a load may replace. */
export function parseLoadOptions(args: Buffer[], from: number, command: string, allowReplace: boolean): LoadOptions {
  const options: LoadOptions = {};
  const seen = new Set<string>();
  let i = from;
  while (i < args.length) {
    const kw = keyword(args[i]);
    if (!KEYWORDS.has(kw) || (kw === "REPLACE" && !allowReplace)) {
      const expected = allowReplace ? "CAPABILITIES, MEMORY, TIMEOUT, KEYS or REPLACE" : "CAPABILITIES, MEMORY, TIMEOUT or KEYS";
      throw syntaxError(`unexpected '${clip(text(args[i]))}' in ${command}; expected ${expected}`);
    }
    if (seen.has(kw)) throw syntaxError(`${kw} given twice in ${command}`);
    seen.add(kw);
    i++;
    if (kw === "REPLACE") {
      options.replace = true;
    } else if (kw === "CAPABILITIES") {
      const caps: string[] = [];
      while (i < args.length && !KEYWORDS.has(keyword(args[i]))) caps.push(text(args[i++]));
      options.capabilities = caps as (Capability | "all")[]; // the runtime names an unknown one
    } else if (kw === "KEYS") {
      const patterns: string[] = [];
      while (i < args.length && !KEYWORDS.has(keyword(args[i]))) patterns.push(args[i++].toString("latin1"));
      if (patterns.length === 0) throw syntaxError(`KEYS needs at least one pattern in ${command} (a Redis glob such as user:*, or * for every key)`);
      options.keys = patterns;
    } else {
      if (i >= args.length) throw syntaxError(`${kw} needs a value (${kw === "MEMORY" ? "a size such as 10MB" : "milliseconds"})`);
      const value = text(args[i++]);
      if (kw === "MEMORY") options.memory = value;
      else options.timeoutMs = parseTimeout(value);
    }
  }
  return options;
}

export const WASM_LOAD_COMMANDS: CommandSpec[] = [
  {
    name: "wasm.load",
    arity: -3,
    flags: ["write", "wasm"],
    acl: ["wasm", "wasm-deploy"],
    group: "wasm",
    summary: "Loads a WebAssembly module from a file inside plugins_dir.",
    async handler(c, args) {
      const options = parseLoadOptions(args, 3, "WASM.LOAD", true);
      await c.server.functions.loadFile(text(args[1]), text(args[2]), options);
      return OK;
    },
  },
  {
    name: "wasm.loadb",
    arity: -3,
    flags: ["write", "wasm"],
    acl: ["wasm", "wasm-deploy"],
    group: "wasm",
    summary: "Loads a WebAssembly module from its bytes.",
    async handler(c, args) {
      // `redis-cli -x WASM.LOADB name CAPABILITIES ... < f.wasm` sends the bytes last: say how to fix it.
      if (args.length > 3 && !isWasm(args[2]) && isWasm(args[args.length - 1])) {
        throw syntaxError(
          `WASM.LOADB takes the module's bytes right after the name, but they came last (redis-cli -x puts its input last); ` +
            `use -X with a tag in the bytes' place: redis-cli -X wasm WASM.LOADB ${clip(text(args[1]))} wasm CAPABILITIES ... < file.wasm (docs/commands.md)`,
        );
      }
      const options = parseLoadOptions(args, 3, "WASM.LOADB", true);
      // A copy: the argument is a slice of a socket chunk the load outlives.
      await c.server.functions.loadBytes(text(args[1]), new Uint8Array(args[2]), options);
      return OK;
    },
  },
  {
    name: "wasm.update",
    arity: -3,
    flags: ["write", "wasm"],
    acl: ["wasm", "wasm-deploy"],
    group: "wasm",
    summary: "Changes a function's capabilities, memory limit or timeout.",
    async handler(c, args) {
      const options = parseLoadOptions(args, 2, "WASM.UPDATE", false);
      await c.server.functions.update(text(args[1]), options);
      return OK;
    },
  },
  {
    name: "wasm.reload",
    arity: 2,
    flags: ["write", "wasm"],
    acl: ["wasm", "wasm-deploy"],
    group: "wasm",
    summary: "Reloads a function from the file it was loaded from.",
    async handler(c, args) {
      await c.server.functions.reload(text(args[1]));
      return OK;
    },
  },
  {
    name: "wasm.unload",
    arity: 2,
    flags: ["write", "wasm"],
    acl: ["wasm", "wasm-deploy"],
    group: "wasm",
    summary: "Unloads a function.",
    async handler(c, args) {
      await c.server.functions.unload(text(args[1]));
      return OK;
    },
  },
];
