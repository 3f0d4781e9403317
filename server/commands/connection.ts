// Connection commands: PING ECHO HELLO AUTH CLIENT MONITOR QUIT RESET, with Redis's replies and errors.
import { NO_PASSWORD_SET, WRONGPASS } from "../auth.js";
import type { Client } from "../context.js";
import { closeTransaction } from "../multi.js";
import { CommandError, MapReply, OK, RawReply, SimpleString, type Reply } from "../resp.js";
import { serverVersion } from "../version.js";
import { keyword, text } from "./args.js";
import { withSubcommands, type CommandSpec, type SubcommandSpec } from "./registry.js";

const PONG = new SimpleString("PONG");
const HELLO_NOAUTH =
  "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time";

function authenticate(c: Client, user: string, password: Buffer): void {
  const acl = c.server.auth.authenticate(user, password);
  if (acl === null) {
    c.server.stats.authFailures++;
    c.server.log("warn", `failed AUTH for user '${user}' from ${c.addr}`);
    throw new CommandError(WRONGPASS);
  }
  c.authenticated = true;
  c.user = user;
  c.acl = acl;
}

function checkName(name: Buffer): string | null {
  const s = name.toString("latin1");
  // Redis refuses spaces, newlines and anything outside printable ASCII.
  if (!/^[!-~]*$/.test(s)) throw new CommandError("ERR Client names cannot contain spaces, newlines or special characters.");
  return s === "" ? null : s;
}

function hello(c: Client, args: Buffer[]): Reply {
  let proto = c.proto;
  if (args.length >= 2) {
    const v = args[1].toString("latin1");
    if (!/^-?[0-9]+$/.test(v)) throw new CommandError("ERR Protocol version is not an integer or out of range");
    const n = Number(v);
    if (n !== 2 && n !== 3) throw new CommandError("NOPROTO unsupported protocol version");
    proto = n;
  }
  let name: string | null | undefined;
  for (let i = 2; i < args.length; i++) {
    const kw = keyword(args[i]);
    if (kw === "AUTH" && i + 2 < args.length) {
      authenticate(c, text(args[i + 1]), args[i + 2]);
      i += 2;
    } else if (kw === "SETNAME" && i + 1 < args.length) {
      name = checkName(args[++i]);
    } else {
      throw new CommandError(`ERR Syntax error in HELLO option '${text(args[i])}'`);
    }
  }
  if (!c.authenticated) throw new CommandError(HELLO_NOAUTH);
  if (name !== undefined) c.name = name;
  c.proto = proto as 2 | 3;
  return new MapReply([
    ["server", "ferrite-wasm"],
    ["version", serverVersion()],
    ["proto", c.proto],
    ["id", c.id],
    ["mode", "standalone"],
    ["role", "master"],
    ["modules", []],
  ]);
}

/** CLIENT INFO / CLIENT LIST's line: Redis's field set, in its order, holding this server's real values. */
export function clientInfo(c: Client): string {
  const now = Date.now();
  const b = c.buffers();
  const tx = c.tx;
  let flags = "";
  if (c.monitor) flags += "O";
  if (tx.active) flags += "x";
  if (tx.dirty) flags += "d";
  const multiMem = tx.active ? tx.queueBytes + 16 * (tx.queue?.length ?? 0) : 0;
  const watching = tx.watched.length + (tx.storeWatching ? 1 : 0);
  const tot = b.qbuf + b.qbufFree + b.argvMem + multiMem + b.obl + b.omem;
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${c.fd} name=${c.name ?? ""} ` +
    `age=${Math.floor((now - c.createdAt) / 1000)} idle=${Math.floor((now - c.lastActive) / 1000)} flags=${flags || "N"} ` +
    `db=${c.db} sub=0 psub=0 ssub=0 multi=${tx.active ? tx.queue!.length : -1} watch=${watching} ` +
    `qbuf=${b.qbuf} qbuf-free=${b.qbufFree} argv-mem=${b.argvMem} multi-mem=${multiMem} rbs=${b.qbuf + b.qbufFree} rbp=${b.qbuf} ` +
    `obl=${b.obl} oll=${b.oll} omem=${b.omem} tot-mem=${tot} events=${b.reading ? "r" : ""}${b.writing ? "w" : ""} ` +
    `cmd=${c.lastCommand} user=${c.user} redir=-1 resp=${c.proto} lib-name=${c.libName ?? ""} lib-ver=${c.libVer ?? ""}\n`
  );
}

/** CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]. */
function clientList(c: Client, args: Buffer[]): Reply {
  let clients = [...c.server.clients];
  for (let i = 2; i < args.length; i++) {
    const kw = keyword(args[i]);
    if (kw === "TYPE" && i + 1 < args.length) {
      const type = text(args[++i]).toLowerCase();
      if (!["normal", "master", "replica", "slave", "pubsub"].includes(type)) throw new CommandError(`ERR Unknown client type '${text(args[i])}'`);
      if (type !== "normal") clients = [];
    } else if (kw === "ID" && i + 1 < args.length) {
      const ids = new Set<number>();
      for (i++; i < args.length; i++) {
        const v = args[i].toString("latin1");
        if (!/^[1-9][0-9]{0,15}$/.test(v)) throw new CommandError("ERR Invalid client ID");
        ids.add(Number(v));
      }
      clients = clients.filter((x) => ids.has(x.id));
    } else throw new CommandError("ERR syntax error");
  }
  return clients.map(clientInfo).join("");
}

/** Nothing is written (MONITOR sent twice: Redis stays silent). */
const NO_REPLY = new RawReply(new Uint8Array(0));

const CLIENT_SUBCOMMANDS: SubcommandSpec[] = [
  { name: "id", arity: 2, summary: "This connection's id.", handler: (c) => c.id },
  { name: "getname", arity: 2, summary: "This connection's name, or nil.", handler: (c) => c.name },
  {
    name: "setname",
    arity: 3,
    summary: "Names this connection.",
    handler(c, args) {
      c.name = checkName(args[2]);
      return OK;
    },
  },
  {
    name: "setinfo",
    arity: 4,
    summary: "LIB-NAME or LIB-VER of the client library.",
    handler(c, args) {
      const attr = keyword(args[2]);
      const value = checkName(args[3]);
      if (attr === "LIB-NAME") c.libName = value;
      else if (attr === "LIB-VER") c.libVer = value;
      else throw new CommandError(`ERR Unrecognized option '${text(args[2])}'`);
      return OK;
    },
  },
  { name: "info", arity: 2, summary: "This connection, as CLIENT LIST shows it.", handler: (c) => clientInfo(c) },
  { name: "list", arity: -2, summary: "Every connection: CLIENT LIST [TYPE type] [ID id ...].", handler: clientList },
  { name: "no-evict", arity: 3, summary: "Accepted; nothing is evicted here.", handler: () => OK },
  { name: "no-touch", arity: 3, summary: "Accepted; no LRU is kept here.", handler: () => OK },
];

export const CONNECTION_COMMANDS: CommandSpec[] = [
  {
    name: "ping",
    arity: -1,
    maxArgs: 2,
    flags: ["fast", "connection"],
    group: "connection",
    summary: "Replies PONG, or its argument.",
    handler: (_c, args) => (args.length === 2 ? args[1] : PONG),
  },
  {
    name: "echo",
    arity: 2,
    flags: ["fast", "connection"],
    group: "connection",
    summary: "Replies its argument.",
    handler: (_c, args) => args[1],
  },
  {
    name: "hello",
    arity: -1,
    flags: ["noauth", "fast", "connection"],
    group: "connection",
    summary: "HELLO [2|3 [AUTH user pass] [SETNAME name]]: picks the protocol, authenticates.",
    handler: hello,
  },
  {
    name: "auth",
    arity: -2,
    maxArgs: 3,
    flags: ["noauth", "fast", "connection"],
    group: "connection",
    summary: "AUTH [user] password.",
    handler(c, args) {
      if (args.length === 2 && !c.server.auth.hasDefaultPassword && !c.server.auth.required) {
        throw new CommandError(NO_PASSWORD_SET);
      }
      const [user, password] = args.length === 2 ? ["default", args[1]] : [text(args[1]), args[2]];
      authenticate(c, user, password);
      return OK;
    },
  },
  {
    name: "quit",
    arity: -1,
    flags: ["noauth", "fast", "connection"],
    group: "connection",
    summary: "Closes the connection.",
    handler(c) {
      c.closeAfterReply();
      return OK;
    },
  },
  {
    name: "reset",
    arity: 1,
    flags: ["noauth", "fast", "connection"],
    group: "connection",
    summary: "Back to a new connection's state: RESP2, no name, authenticated only when no password is set.",
    handler(c) {
      closeTransaction(c);
      c.proto = 2;
      c.name = null;
      c.db = c.server.store?.baseDb ?? 0;
      c.authenticated = !c.server.auth.required;
      c.user = "default";
      c.acl = c.server.auth.default;
      if (c.monitor) {
        c.monitor = false;
        c.server.monitors.delete(c);
      }
      return new SimpleString("RESET");
    },
  },
  {
    name: "monitor",
    arity: 1,
    flags: ["admin"],
    group: "server",
    summary: "Streams every command the server runs, as Redis's MONITOR prints them.",
    handler(c) {
      if (c.tx.active) throw new CommandError("ERR MONITOR isn't allowed for DENY BLOCKING client");
      if (c.monitor) return NO_REPLY;
      c.monitor = true;
      c.server.monitors.add(c);
      return OK;
    },
  },
  {
    name: "client",
    arity: -2,
    flags: ["connection"],
    group: "connection",
    summary: "CLIENT ID | GETNAME | SETNAME | SETINFO | INFO | LIST | NO-EVICT | NO-TOUCH.",
    subcommands: CLIENT_SUBCOMMANDS,
    handler: withSubcommands("client", CLIENT_SUBCOMMANDS),
  },
];
