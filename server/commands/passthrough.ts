// Command specs for what the Redis store knows and the server does not own (hashes, lists, sets,
// sorted sets, streams, ...), built from the store's COMMAND table: its arity and key specs, and a
// handler that sends the request to the client's database there. Commands that would take over the
// shared connection (blocking, pub/sub) or administer the store are refused with the reason.
import type { StoreCommand, StoreLink } from "../store/link.js";
import { CommandError } from "../resp.js";
import type { CommandFlag, CommandSpec } from "./registry.js";
import { isCategory } from "../acl/categories.js";

const cache = new WeakMap<StoreLink, Map<string, CommandSpec | null>>();

/** The spec of a command only the store knows, or undefined. */
export function storeSpec(link: StoreLink, nameBuf: Buffer): CommandSpec | undefined {
  const name = nameBuf.toString("latin1").toLowerCase();
  let specs = cache.get(link);
  if (!specs) cache.set(link, (specs = new Map()));
  let spec = specs.get(name);
  if (spec === undefined) {
    const cmd = link.commands.get(name);
    spec = cmd ? build(link, cmd) : null;
    if (specs.size < 4096) specs.set(name, spec);
  }
  return spec ?? undefined;
}

function build(link: StoreLink, cmd: StoreCommand): CommandSpec {
  const flags: CommandFlag[] = [];
  if (cmd.flags.includes("write")) flags.push("write");
  if (cmd.flags.includes("readonly")) flags.push("readonly");
  if (cmd.flags.includes("fast")) flags.push("fast");
  const base = {
    name: cmd.name,
    arity: cmd.arity,
    flags,
    group: "store",
    summary: `Passed to the store at ${link.where}.`,
    keySpecs: cmd.keySpecs,
    // The store's own categories, so +@hash or -@list work as on Redis (those this server knows).
    acl: cmd.categories.filter(isCategory),
  };
  if (cmd.refused !== null) {
    const why = `ERR '${cmd.name}' is not passed through to the store: it ${cmd.refused}; run it on the store at ${link.where} directly`;
    return { ...base, handler: () => { throw new CommandError(why); } };
  }
  if (cmd.name === "xread" || cmd.name === "xreadgroup") {
    return {
      ...base,
      handler(c, args) {
        if (args.some((a) => a.length === 5 && a.toString("latin1").toUpperCase() === "BLOCK")) {
          throw new CommandError(`ERR ${cmd.name.toUpperCase()} BLOCK is not passed through to the store: it blocks a connection other clients share; leave out BLOCK or run it on the store at ${link.where} directly`);
        }
        return c.server.store!.send(c.db, c.proto, args, base);
      },
    };
  }
  return { ...base, native: true, handler: (c, args) => c.server.store!.send(c.db, c.proto, args, base) };
}
