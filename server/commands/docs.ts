// COMMAND, COMMAND COUNT | INFO | DOCS | LIST: the registry described in Redis 7's shapes, enough for
// redis-cli's hints and clients that introspect. Built from the specs, so it cannot drift from them.
import { CommandError, MapReply, SetReply, SimpleString, type Reply } from "../resp.js";
import { commandCategories } from "../acl/categories.js";
import { withSubcommands, type CommandSpec, type SubcommandSpec } from "./registry.js";

type Registry = () => ReadonlyMap<string, CommandSpec>;

function infoEntry(spec: CommandSpec): Reply {
  const [first, last, step] = spec.keys ?? [0, 0, 0];
  return [
    spec.name,
    spec.arity,
    new SetReply(spec.flags.filter((f) => f !== "wasm").map((f) => new SimpleString(f))),
    first,
    last,
    step,
    new SetReply(commandCategories(spec).map((c) => new SimpleString(`@${c}`))), // ACL categories, as Redis 7
    [],
    [],
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
      arity: -3,
      summary: "Not supported here.",
      handler: () => {
        throw new CommandError("ERR COMMAND GETKEYS is not supported by ferrite-wasm");
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
