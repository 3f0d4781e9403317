// Connection commands: PING ECHO HELLO AUTH SELECT CLIENT QUIT RESET, with Redis's replies and errors.
import { NO_PASSWORD_SET, WRONGPASS } from "../auth.js";
import type { Client } from "../context.js";
import { CommandError, MapReply, OK, SimpleString, type Reply } from "../resp.js";
import { serverVersion } from "../version.js";
import { integer, keyword, text } from "./args.js";
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

function clientInfo(c: Client): string {
  const age = Math.floor((Date.now() - c.createdAt) / 1000);
  return (
    `id=${c.id} addr=${c.addr} name=${c.name ?? ""} age=${age} db=0 user=${c.user} resp=${c.proto} ` +
    `lib-name=${c.libName ?? ""} lib-ver=${c.libVer ?? ""} cmd-count=${c.commands}\n`
  );
}

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
  {
    name: "list",
    arity: -2,
    summary: "Every connection.",
    handler: (c) => [...c.server.clients].map(clientInfo).join(""),
  },
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
    name: "select",
    arity: 2,
    flags: ["fast", "connection"],
    group: "connection",
    summary: "Only database 0 exists.",
    handler(_c, args) {
      if (integer(args[1]) !== 0) throw new CommandError("ERR DB index is out of range");
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
      c.proto = 2;
      c.name = null;
      c.authenticated = !c.server.auth.required;
      c.user = "default";
      c.acl = c.server.auth.default;
      return new SimpleString("RESET");
    },
  },
  {
    name: "client",
    arity: -2,
    flags: ["connection"],
    group: "connection",
    summary: "CLIENT ID | GETNAME | SETNAME | SETINFO | INFO | LIST.",
    subcommands: CLIENT_SUBCOMMANDS,
    handler: withSubcommands("client", CLIENT_SUBCOMMANDS),
  },
];
