// COMMAND, COMMAND COUNT | INFO | DOCS | LIST: the registry described in Redis 7's shapes, enough for
// redis-cli's hints and clients that introspect. Built from the specs, so it cannot drift from them.
import { CommandError, MapReply, SetReply, SimpleString, type Reply } from "../resp.js";
import { commandCategories } from "../acl/categories.js";
import { commandKeys, legacyRange, type KeySpec } from "./keyspecs.js";
import { resolveCommand } from "./index.js";
import { withSubcommands, type CommandSpec, type SubcommandSpec } from "./registry.js";

type Registry = () => ReadonlyMap<string, CommandSpec>;

/** A key spec as COMMAND INFO shows it (Redis 7). */
function keySpecReply(ks: KeySpec): Reply {
  const begin: Reply =
    "index" in ks.begin
      ? new MapReply([["type", "index"], ["spec", new MapReply([["index", ks.begin.index]])]])
      : new MapReply([["type", "keyword"], ["spec", new MapReply([["keyword", ks.begin.keyword], ["startfrom", ks.begin.startFrom]])]]);
  const find: Reply =
    "lastKey" in ks.find
      ? new MapReply([["type", "range"], ["spec", new MapReply([["lastkey", ks.find.lastKey], ["keystep", ks.find.keyStep], ["limit", ks.find.limit]])]])
      : new MapReply([["type", "keynum"], ["spec", new MapReply([["keynumidx", ks.find.keyNumIdx], ["firstkey", ks.find.firstKey], ["keystep", ks.find.keyStep]])]]);
  return new MapReply([
    ...(ks.notes ? ([["notes", ks.notes]] as [Reply, Reply][]) : []),
    ["flags", new SetReply(ks.flags.map((f) => new SimpleString(f)))],
    ["begin_search", begin],
    ["find_keys", find],
  ]);
}

function infoEntry(spec: CommandSpec): Reply {
  const { first, last, step, movable } = legacyRange(spec.keySpecs);
  const flags = spec.flags.filter((f) => f !== "wasm").map((f) => new SimpleString(f));
  if (movable) flags.push(new SimpleString("movablekeys"));
  return [
    spec.name,
    spec.arity,
    new SetReply(flags),
    first,
    last,
    step,
    new SetReply(commandCategories(spec).map((c) => new SimpleString(`@${c}`))), // ACL categories, as Redis 7
    [],
    (spec.keySpecs ?? []).map(keySpecReply),
    (spec.subcommands ?? []).map((sub) => [`${spec.name}|${sub.name}`, sub.arity, new SetReply([]), 0, 0, 0, new SetReply([]), [], [], []]),
  ];
}

function docsEntry(spec: CommandSpec | SubcommandSpec, group: string): MapReply {
  const fields: [Reply, Reply][] = [
    ["summary", spec.summary],
    ["since", "1.0.0"],
    ["group", group],
  ];
  if ("subcommands" in spec && spec.subcommands?.length) {
    fields.push(["subcommands", new MapReply(spec.subcommands.map((s) => [`${spec.name}|${s.name}`, docsEntry(s, group)]))]);
  }
  return new MapReply(fields);
}

function unique(registry: Registry): CommandSpec[] {
  return [...new Set(registry().values())];
}

export function commandSpec(registry: Registry): CommandSpec {
  const lookup = (b: Buffer) => registry().get(b.toString("latin1").toLowerCase());
  const subs: SubcommandSpec[] = [
    { name: "count", arity: 2, summary: "How many commands there are.", handler: () => unique(registry).length },
    { name: "list", arity: -2, summary: "Every command's name.", handler: () => unique(registry).map((s) => s.name) },
    {
      name: "info",
      arity: -2,
      summary: "Arity, flags and key positions of the named commands (all when none is named).",
      handler: (_c, args) => (args.length === 2 ? unique(registry) : args.slice(2).map(lookup)).map((s) => (s ? infoEntry(s) : null)),
    },
    {
      name: "docs",
      arity: -2,
      summary: "Summary and group of the named commands (all when none is named).",
      handler(_c, args) {
        const specs = args.length === 2 ? unique(registry) : (args.slice(2).map(lookup).filter(Boolean) as CommandSpec[]);
        return new MapReply(specs.map((s) => [s.name, docsEntry(s, s.group)]));
      },
    },
    {
      name: "getkeys",
      arity: -4,
      summary: "The keys a command would touch, from its key specs.",
      handler: (c, args) => {
        const request = args.slice(2);
        const spec = resolveCommand(c.server, request[0]);
        if (!spec) throw new CommandError("ERR Invalid command specified");
        const n = request.length;
        if (spec.arity > 0 ? n !== spec.arity : n < -spec.arity) throw new CommandError("ERR Invalid number of arguments specified for command");
        const keys = commandKeys(spec, request);
        if (keys.length === 0) throw new CommandError("ERR The command has no key arguments");
        return keys;
      },
    },
  ];
  const dispatch = withSubcommands("command", subs);
  return {
    name: "command",
    arity: -1,
    flags: ["connection"],
    acl: ["connection"],
    group: "server",
    summary: "Describes the commands this server knows.",
    subcommands: subs,
    handler: (c, args) => (args.length === 1 ? unique(registry).map(infoEntry) : dispatch(c, args)),
  };
}
