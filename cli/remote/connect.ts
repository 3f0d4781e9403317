// Talking to a server: the URL from --url or FERRITE_URL, one connection attempt (no
// retries, so a wrong URL fails in seconds), and server answers turned into messages with a fix.
import type { FerriteClient } from "../../server/client.js";
import { missingPermission } from "../../server/acl/hint.js";
import { FerriteError } from "../../runtime-sim/index.js";
import { FerriteReplyError } from "../../runtime-sim/host.js";
import { CliError } from "../shared/errors.js";
import type { RemoteOptions } from "../shared/options.js";

export const DEFAULT_URL = "redis://127.0.0.1:6379";

/** A WASM.* command the typed client has no method for, with its errors as the client reports them. */
export async function send(client: FerriteClient, command: string, args: string[]): Promise<unknown> {
  try {
    return await client.redis.call(command, ...args);
  } catch (e) {
    if ((e as Error)?.name === "ReplyError") throw new FerriteReplyError((e as Error).message, command);
    throw e;
  }
}

export function targetUrl(opts: RemoteOptions): string {
  return opts.url ?? process.env.FERRITE_URL ?? DEFAULT_URL;
}

/** The URL without its password, for messages. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}

function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CliError("ERR_USAGE", `'${url}' is not a URL`, "write it as redis://host:port (or rediss://user:pass@host:port for TLS with a password)");
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new CliError("ERR_USAGE", `'${displayUrl(url)}' is not a redis:// or rediss:// URL`, "write it as redis://host:port (or rediss://user:pass@host:port for TLS with a password)");
  }
}

/**
 * Connects to the server at `url` and checks it runs functions (WASM.* known), then runs `work`
 * and disconnects. Every failure becomes a CliError that names the URL and says what to do.
 */
export async function withServer<T>(opts: RemoteOptions, work: (client: FerriteClient, url: string) => Promise<T>): Promise<T> {
  const url = targetUrl(opts);
  checkUrl(url);
  const { FerriteClient } = await import("../../server/client.js");
  const files = {
    ca: opts.tlsCa ?? process.env.FERRITE_TLS_CA,
    cert: opts.tlsCert ?? process.env.FERRITE_TLS_CERT,
    key: opts.tlsKey ?? process.env.FERRITE_TLS_KEY,
  };
  let tls;
  if (files.ca || files.cert || files.key) {
    if (!url.startsWith("rediss://")) throw new CliError("ERR_USAGE", "--tls-ca, --tls-cert and --tls-key are for TLS servers", "write the URL as rediss://host:port");
    try {
      tls = FerriteClient.tlsFiles(files);
    } catch (e) {
      throw new CliError("ERR_USAGE", `cannot read a TLS file: ${(e as Error).message}`, "check the paths given to --tls-ca, --tls-cert and --tls-key");
    }
  }
  const client = new FerriteClient(url, {
    ...(tls ? { tls } : {}),
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 5000,
  });
  // ioredis reports why a connection failed only through 'error' events; connect() just says "closed".
  let lastError: Error | null = null;
  client.redis.on("error", (e: Error) => (lastError = e));
  try {
    try {
      await client.redis.connect();
    } catch (e) {
      throw connectError(url, lastError ?? (e as Error));
    }
    await client.ensureFunctions().catch((e) => {
      throw remoteError(e, url);
    });
    return await work(client, url).catch((e) => {
      throw remoteError(e, url);
    });
  } finally {
    client.disconnect();
  }
}

function connectError(url: string, e: Error & { code?: string }): CliError {
  const shown = displayUrl(url);
  const text = e.message ?? String(e);
  if (e.code === "ECONNREFUSED" || /ECONNREFUSED/.test(text)) {
    return new CliError(
      "ERR_CONNECT",
      `cannot connect to ${shown}: connection refused (no server is listening there)`,
      `start one with \`ferrite-wasm serve\` (add --port to choose the port), or pass the right server with --url or FERRITE_URL`,
    );
  }
  const auth = authError(text, url);
  if (auth) return auth;
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) {
    return new CliError("ERR_CONNECT", `cannot connect to ${shown}: the host name does not resolve`, "check the host in --url (or FERRITE_URL)");
  }
  if (/ETIMEDOUT|timeout/i.test(text)) {
    return new CliError("ERR_CONNECT", `cannot connect to ${shown}: no answer within 5 s`, "check the host and port, and that a firewall lets the connection through");
  }
  if (/SSL|TLS|certificate|EPROTO/i.test(text)) {
    return new CliError("ERR_CONNECT", `cannot connect to ${shown}: TLS failed (${text})`, "use rediss:// only for servers that speak TLS (ferrite-wasm serve with [server] tls_port), with --tls-ca for a private CA and --tls-cert/--tls-key when the server checks client certificates");
  }
  return new CliError("ERR_CONNECT", `cannot connect to ${shown}: ${text}`, "check --url (or FERRITE_URL), and that the server is running");
}

function authError(text: string, url: string): CliError | null {
  const shown = displayUrl(url);
  if (/^WRONGPASS/.test(text)) {
    return new CliError(
      "ERR_AUTH",
      `the server at ${shown} refused the password: ${text}`,
      "pass the right one in the URL: redis://:PASSWORD@host:port (or redis://USER:PASSWORD@host:port for a named user)",
    );
  }
  if (/^NOAUTH/.test(text)) {
    return new CliError(
      "ERR_AUTH",
      `the server at ${shown} requires a password`,
      "pass it in the URL: redis://:PASSWORD@host:port (or redis://USER:PASSWORD@host:port), or set FERRITE_URL",
    );
  }
  return null;
}

/** A server reply or client failure during a command, as a CliError (others pass through). */
export function remoteError(e: unknown, url: string): unknown {
  if (e instanceof CliError) return e;
  const err = e as Error;
  if (err instanceof FerriteError && err.code === "ERR_NO_FUNCTIONS") {
    return new CliError(
      "ERR_NO_FUNCTIONS",
      `the server at ${displayUrl(url)} cannot run ferrite-wasm functions: it answered "${err.reply.trim()}", as a plain Redis or a released Ferrite 0.2 does`,
      "start a server that can with `ferrite-wasm serve` (and point --url at it), or use a Ferrite build with functions",
    );
  }
  if (err instanceof FerriteReplyError) {
    return authError(err.reply, url) ?? new CliError("ERR_REMOTE", err.message, fixForReply(err));
  }
  if (err instanceof Error && /Connection is closed|ECONNRESET|EPIPE/.test(err.message)) {
    return new CliError("ERR_CONNECT", `lost the connection to ${displayUrl(url)}: ${err.message}`, "check that the server is still running, then try again");
  }
  return e;
}

/** By the reply's code (its first word), not its text. */
function fixForReply(err: FerriteReplyError): string | null {
  switch (err.code) {
    case "ERR_UNKNOWN_FUNCTION":
      return "run `ferrite-wasm list` to see the functions loaded there, or deploy it with `ferrite-wasm deploy`";
    case "ERR_EXISTS":
      return "pass --replace to swap it for the new build";
    case "ERR_CAPABILITY":
      return "grant it in ferrite.toml and deploy again, or run `ferrite-wasm update <fn> --capabilities ...`";
    case "ERR_TIMEOUT":
      return "make the function faster, or raise its timeout (`ferrite-wasm update <fn> --timeout MS`)";
    case "ERR_MEMORY":
    case "ERR_MEMORY_INITIAL":
      return "use less memory, or raise its limit (`ferrite-wasm update <fn> --memory SIZE`)";
    case "ERR_READONLY":
      return "call it without --read-only";
    case "ERR_NOPERM": {
      const grant = missingPermission(err.reply);
      return grant ? `the user in --url lacks this permission; an admin can grant it with ${grant}` : "connect as a user with that permission (redis://USER:PASSWORD@host:port)";
    }
  }
  if (/has no file|loaded with WASM.LOADB/i.test(err.reply)) return "deploy it again with `ferrite-wasm deploy --replace` instead";
  return null;
}
