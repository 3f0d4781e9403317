// WASM.VERSIONS and WASM.ROLLBACK: the deploy history kept per function (docs/commands.md).
//   WASM.VERSIONS name            -> bulk string: JSON array of versions, oldest first
//   WASM.ROLLBACK name [version]  -> integer: the version now active (default: the one before)
import { errors } from "../../runtime-sim/host.js";
import { CommandError } from "../resp.js";
import { text } from "./args.js";
import { clip, type CommandSpec } from "./registry.js";

function versionNumber(arg: Buffer): number {
  const raw = text(arg);
  const m = /^v?([1-9][0-9]{0,8})$/i.exec(raw);
  if (!m) throw new CommandError(`ERR invalid version '${clip(raw)}'; give a version number from WASM.VERSIONS, e.g. 2`);
  return Number(m[1]);
}

export const WASM_VERSION_COMMANDS: CommandSpec[] = [
  {
    name: "wasm.versions",
    arity: 2,
    flags: ["readonly", "wasm"],
    acl: ["wasm", "wasm-info"],
    group: "wasm",
    summary: "A function's kept versions (hash, time, size, settings), oldest first, as JSON.",
    handler(c, args) {
      const name = text(args[1]);
      if (!c.server.runtime.has(name)) throw errors.unknownFunction(clip(name));
      return JSON.stringify(c.server.functions.versions.list(name));
    },
  },
  {
    name: "wasm.rollback",
    arity: -2,
    maxArgs: 3,
    flags: ["write", "wasm"],
    acl: ["wasm", "wasm-deploy"],
    group: "wasm",
    summary: "Makes a kept version of a function active again (default: the one before the active version).",
    async handler(c, args) {
      const target = args.length === 3 ? versionNumber(args[2]) : undefined;
      const v = await c.server.functions.rollback(text(args[1]), target);
      return v.version;
    },
  },
];
