// One error model: every error class is a FerriteError with a code from one union; each code's
// reply starts with its word, and each word a server sends maps back to a code with that word.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { CliError, Reported } from "../../cli/shared/errors.js";
import { BridgeError } from "../../runtime-sim/host.js";
import { errors, FerriteError, FerriteReplyError, REPLY_WORDS, replyCode, type ErrorCode } from "../../runtime-sim/errors.js";
import { ConfigError, ServerStartError } from "../../server/index.js";
import { CommandError } from "../../server/resp.js";
import { KeyspaceError } from "../../server/store/keyspace.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CODES = Object.keys(REPLY_WORDS) as ErrorCode[];
const COMMANDS = ["WASM.CALL", "WASM.CALLREAD", "WASM.LOAD", "WASM.LOADB", "WASM.UPDATE", "TRIGGER.CREATE", "SET", ""];

describe("words and codes", () => {
  test("every code's reply starts with its word", () => {
    for (const code of CODES) {
      const e = new FerriteError(code, "some text", null, {} as never);
      expect(e.reply).toBe(`${REPLY_WORDS[code]} some text`);
      expect(e.word).toBe(REPLY_WORDS[code]);
    }
  });

  test("each word a reply can start with maps back to a code with that word, whatever the command", () => {
    for (const word of new Set(Object.values(REPLY_WORDS))) {
      for (const command of COMMANDS) {
        const code = replyCode(`${word} something happened`, command);
        expect(REPLY_WORDS[code], `${word} after ${command || "no command"}`).toBe(word);
      }
    }
  });

  test("a word shared by two codes is settled by the command, not the text", () => {
    expect(replyCode("MEMORY function 'f' exceeded its memory limit of 1MB", "WASM.CALL")).toBe("ERR_MEMORY");
    expect(replyCode("MEMORY cannot load 'f': its initial memory is 2MB", "WASM.LOADB")).toBe("ERR_MEMORY_INITIAL");
    expect(replyCode("NOCAP function 'f' lacks capability 'write' (ferrite_set)", "wasm.callread")).toBe("ERR_CAPABILITY");
    expect(replyCode("NOCAP capability 'http' is not allowed on this server (allowed: read)", "WASM.UPDATE")).toBe("ERR_CAPABILITY_NOT_ALLOWED");
    expect(replyCode("EXISTS trigger 't' already exists; TRIGGER.DELETE it first", "TRIGGER.CREATE")).toBe("ERR_TRIGGER_EXISTS");
    expect(replyCode("EXISTS function 'f' already exists; add REPLACE to overwrite it", "WASM.LOAD")).toBe("ERR_EXISTS");
  });

  test("a word this toolkit does not define keeps its reply and word", () => {
    const e = new FerriteReplyError("OOM command not allowed when used memory > 'maxmemory'.", "WASM.CALL");
    expect(e.code).toBe("ERR_REPLY");
    expect(e.word).toBe("OOM");
    expect(e.reply).toBe("OOM command not allowed when used memory > 'maxmemory'.");
    expect(e.message).toBe(e.reply);
  });

  test("the texts after the word are the ones ABI v1 fixes", () => {
    expect(errors.timedOut("f", 100).reply).toBe("TIMEOUT function 'f' timed out after 100 ms");
    expect(errors.memory("f", "10MB").reply).toBe("MEMORY function 'f' exceeded its memory limit of 10MB");
    expect(errors.lacksCapability("f", "write", "ferrite_set").reply).toBe("NOCAP function 'f' lacks capability 'write' (ferrite_set)");
    expect(errors.readOnlyWrite("f", "ferrite_set").reply).toBe("NOWRITE function 'f' attempted a write in WASM.CALLREAD");
    expect(errors.trapped("f", "unreachable").reply).toBe("TRAP function 'f' trapped: unreachable");
    expect(errors.status("f", 7).reply).toBe("FUNCERR function 'f' returned status 7");
    expect(errors.guest("f", "invalid email").reply).toBe("FUNCERR invalid email");
    expect(errors.unknownFunction("f").reply).toBe("NOFUNC unknown function 'f'");
    expect(errors.unknownCapability("foo").reply).toBe("ERR unknown capability 'foo'");
    expect(errors.invalidMemory("10XB").reply).toBe("ERR invalid memory limit '10XB'");
  });

  test("data is typed by code and kept through a rewrap", () => {
    const e = errors.bounds("f", "ferrite_get", 65536, 16, 65536);
    expect(e.data).toEqual({ import: "ferrite_get", ptr: 65536, len: 16, memory_bytes: 65536 });
    const wrapped = new FerriteError(e.code, `cannot load 'f': ${e.message}`, "f", e.data, e);
    expect(wrapped.data).toBe(e.data);
    expect(wrapped.cause).toBe(e);
    expect(wrapped.name).toBe("FerriteError [ERR_BOUNDS]");
  });
});

describe("every error class is a FerriteError", () => {
  test.each([
    ["ConfigError", new ConfigError("bad port", "ferrite.toml", "server.port"), "ERR_CONFIG", { file: "ferrite.toml", key: "server.port" }],
    ["ServerStartError", new ServerStartError("port in use"), "ERR_SERVER_START", {}],
    ["BridgeError", new BridgeError("no answer within 5 ms", false), "ERR_BRIDGE", { reply: false }],
    ["CliError", new CliError("ERR_USAGE", "missing the folder", "run new <dir>"), "ERR_USAGE", {}],
    ["Reported", new Reported(2), "ERR_REPORTED", { exit_code: 2 }],
    ["CommandError", new CommandError("ERR syntax error"), "ERR_COMMAND", {}],
    ["KeyspaceError", new KeyspaceError("WRONGTYPE Operation against a key holding the wrong kind of value"), "ERR_WRONGTYPE", {}],
  ] as const)("%s", (cls, e, code, data) => {
    expect(e).toBeInstanceOf(FerriteError);
    expect(e.code).toBe(code);
    expect(e.data).toEqual(data);
    expect(e.name).toBe(`${cls} [${code}]`);
  });

  test("Redis-compatible replies go out exactly as written", () => {
    expect(new CommandError("ERR syntax error").reply).toBe("ERR syntax error");
    expect(new KeyspaceError("WRONGTYPE Operation against a key holding the wrong kind of value").reply).toBe("WRONGTYPE Operation against a key holding the wrong kind of value");
  });

  test("no other class in the toolkit's sources extends Error", () => {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const file = path.join(dir, name);
        if (statSync(file).isDirectory()) walk(file);
        else if (file.endsWith(".ts")) {
          for (const m of readFileSync(file, "utf8").matchAll(/class (\w+)(?:<[^>]*>)? extends (\w+)\b/g)) {
            if (m[2] === "Error" && m[1] !== "FerriteError") found.push(`${path.relative(ROOT, file)}: ${m[1]}`);
          }
        }
      }
    };
    for (const dir of ["runtime-sim", "server", "cli"]) walk(path.join(ROOT, dir));
    expect(found).toEqual([]);
  });
});
