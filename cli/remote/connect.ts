// Talking to a server: the URL from --url or FERRITE_URL, one connection attempt (no
// retries, so a wrong URL fails in seconds), and server answers turned into messages with a fix.
import type { RedisOptions } from "ioredis";
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

/** --tls-ca, --tls-cert, --tls-key, each else its FERRITE_TLS_* variable. */
export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

function tlsFiles(opts: RemoteOptions): TlsFiles {
  return {
    ca: opts.tlsCa ?? (process.env.FERRITE_TLS_CA || undefined),
    cert: opts.tlsCert ?? (process.env.FERRITE_TLS_CERT || undefined),
    key: opts.tlsKey ?? (process.env.FERRITE_TLS_KEY || undefined),
  };
}

/**
 * The ioredis options every remote command connects with: the TLS files read (and checked: only
 * with rediss://, a certificate with its key). Failures are CliErrors naming the flag.
 */
export async function connectionOptions(opts: RemoteOptions, url: string): Promise<RedisOptions> {
  const files = tlsFiles(opts);
  if (!files.ca && !files.cert && !files.key) return {};
  if (!url.startsWith("rediss://")) {
    throw new CliError(
      "ERR_USAGE",
      `--tls-ca, --tls-cert and --tls-key (or FERRITE_TLS_CA, FERRITE_TLS_CERT, FERRITE_TLS_KEY) are for TLS servers, and ${displayUrl(url)} is not a rediss:// URL`,
      "write the URL as rediss://host:port (the port of the server's tls_port), or leave out the TLS files for a plain port",
    );
  }
  if (Boolean(files.cert) !== Boolean(files.key)) {
    const [given, missing] = files.cert ? ["--tls-cert", "--tls-key"] : ["--tls-key", "--tls-cert"];
    throw new CliError("ERR_USAGE", `${given} needs ${missing}: a client certificate goes with its private key`, `pass both --tls-cert FILE and --tls-key FILE (or FERRITE_TLS_CERT and FERRITE_TLS_KEY)`);
  }
  const { FerriteClient } = await import("../../server/client.js");
  try {
    return { tls: FerriteClient.tlsFiles(files) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const flag = [["--tls-ca", files.ca], ["--tls-cert", files.cert], ["--tls-key", files.key]].find(([, f]) => f !== undefined && err.path === f)?.[0];
    const what = flag ? `${flag} ${err.path}` : "a TLS file";
    const why = err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "it is a directory" : err.code === "EACCES" ? "permission denied" : err.message;
    throw new CliError("ERR_USAGE", `cannot read ${what}: ${why}`, "check the paths given to --tls-ca, --tls-cert and --tls-key (or FERRITE_TLS_CA, FERRITE_TLS_CERT, FERRITE_TLS_KEY)");
  }
}

/**
 * Connects to the server at `url` and checks it runs functions (WASM.* known), then runs `work`
 * and disconnects. Every failure becomes a CliError that names the URL and says what to do.
 */
export async function withServer<T>(opts: RemoteOptions, work: (client: FerriteClient, url: string) => Promise<T>): Promise<T> {
  const url = targetUrl(opts);
  checkUrl(url);
  const options = await connectionOptions(opts, url);
  const { FerriteClient } = await import("../../server/client.js");
  const client = new FerriteClient(url, {
    ...options,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 5000,
  });
  const files = tlsFiles(opts);
  // ioredis reports why a connection failed only through 'error' events; connect() just says "closed".
  let lastError: Error | null = null;
  client.redis.on("error", (e: Error) => (lastError = e));
  try {
    try {
      await client.redis.connect();
    } catch (e) {
      throw connectError(url, lastError ?? (e as Error), files);
    }
    await client.ensureFunctions().catch((e) => {
      // Closed before the first reply: a TLS server reached with redis://, or a refused client certificate.
      if (e instanceof Error && !(e instanceof FerriteError) && isClosed(lastError ?? e)) throw connectError(url, lastError ?? e, files);
      throw remoteError(e, url);
    });
    return await work(client, url).catch((e) => {
      throw remoteError(e, url);
    });
  } finally {
    client.disconnect();
  }
}

const isClosed = (e: Error & { code?: string }) => /^(EPIPE|ECONNRESET)$/.test(e.code ?? "") || /Connection is closed|EPIPE|ECONNRESET|socket hang up/.test(e.message);

/** Node's codes for a server certificate no CA given (or known to Node) vouches for. */
const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);

function connectError(url: string, e: Error & { code?: string }, files: TlsFiles): CliError {
  const shown = displayUrl(url);
  const text = e.message ?? String(e);
  const code = e.code ?? "";
  if (code === "ECONNREFUSED" || /ECONNREFUSED/.test(text)) {
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
  const tlsFailure = tlsError(shown, url, e, files);
  if (tlsFailure) return tlsFailure;
  if (/ETIMEDOUT|timeout/i.test(text)) {
    return new CliError("ERR_CONNECT", `cannot connect to ${shown}: no answer within 5 s`, "check the host and port, and that a firewall lets the connection through");
  }
  if (isClosed(e)) {
    if (url.startsWith("redis://")) {
      return new CliError(
        "ERR_CONNECT",
        `cannot connect to ${shown}: the server closed the connection without answering`,
        "if it serves TLS on that port (a tls_port), write the URL as rediss://… (with --tls-ca for a private CA); otherwise check that a Redis-protocol server listens there",
      );
    }
    return new CliError(
      "ERR_CONNECT",
      `cannot connect to ${shown}: the server closed the TLS connection without answering${files.cert ? `; it may have refused the client certificate ${files.cert} (--tls-cert)` : ""}`,
      files.cert
        ? "pass a client certificate signed by the CA the server trusts (its tls_ca_cert_file) with --tls-cert and --tls-key"
        : "if the server checks client certificates (tls_auth_clients), pass --tls-cert and --tls-key; otherwise see the server's log for why",
    );
  }
  return new CliError("ERR_CONNECT", `cannot connect to ${shown}: ${text}`, "check --url (or FERRITE_URL), and that the server is running");
}

/** A failed TLS handshake, by Node's error code (the OpenSSL text is the fallback), with its fix. */
function tlsError(shown: string, url: string, e: Error & { code?: string }, files: TlsFiles): CliError | null {
  const code = e.code ?? "";
  // OpenSSL's own text ("...:SSL routines:...:tlsv13 alert certificate required:...") without the file and line.
  const reason = /:SSL routines:[^:]*:([^:]+)/.exec(e.message)?.[1] ?? e.message;
  const fail = (what: string, fix: string) => new CliError("ERR_CONNECT", `cannot connect to ${shown}: ${what}`, fix);
  if (UNTRUSTED.has(code)) {
    return files.ca
      ? fail(
          `the server's TLS certificate is not signed by the CA in ${files.ca} (--tls-ca): ${reason}`,
          "pass the CA certificate that issued the server's certificate (its tls_cert_file) with --tls-ca FILE (or FERRITE_TLS_CA)",
        )
      : fail(
          `the server's TLS certificate is not signed by a CA this machine trusts: ${reason}`,
          "pass the CA certificate that issued the server's certificate (its tls_cert_file) with --tls-ca FILE (or FERRITE_TLS_CA)",
        );
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return fail(`the server's TLS certificate is not for ${new URL(url).hostname}: ${reason}`, "connect by a host name or IP address the certificate lists (its subjectAltName), or reissue the certificate for this one");
  }
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") {
    return fail(`the server's TLS certificate ${code === "CERT_HAS_EXPIRED" ? "has expired" : "is not valid yet"}`, "renew the server's certificate (its tls_cert_file), or check this machine's clock");
  }
  if (/CERTIFICATE_REQUIRED/.test(code) || /alert certificate required/.test(e.message)) {
    return fail(
      "the server requires a client certificate (tls_auth_clients) and none was sent",
      "pass one signed by the CA the server trusts (its tls_ca_cert_file) with --tls-cert FILE --tls-key FILE (or FERRITE_TLS_CERT and FERRITE_TLS_KEY)",
    );
  }
  if (/UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN/.test(code) || /alert (unknown ca|bad certificate|certificate unknown)/.test(e.message)) {
    return fail(
      `the server refused the client certificate${files.cert ? ` ${files.cert} (--tls-cert)` : ""}: ${reason}`,
      "pass a client certificate signed by the CA the server trusts (its tls_ca_cert_file) with --tls-cert and --tls-key",
    );
  }
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || /wrong version number|packet length too long|http request/.test(e.message)) {
    return fail("the server does not speak TLS on that port (it answered in plain text)", "write the URL as redis://host:port for a plain port, or use the port of the server's tls_port");
  }
  if (/^ERR_SSL_|^ERR_TLS_/.test(code) || /SSL routines|EPROTO/.test(e.message)) {
    return fail(`TLS failed: ${reason}`, "check the server's tls_port and certificates; pass --tls-ca for a private CA, and --tls-cert/--tls-key when the server checks client certificates");
  }
  return null;
}

/** "rediss" or "redis", for the URL shapes a fix shows. */
function scheme(url: string): string {
  return url.startsWith("rediss://") ? "rediss" : "redis";
}

/** The user name in the URL, when it names one other than default. */
function urlUser(url: string): string | null {
  try {
    const user = decodeURIComponent(new URL(url).username);
    return user && user !== "default" ? user : null;
  } catch {
    return null;
  }
}

function authError(text: string, url: string): CliError | null {
  const shown = displayUrl(url);
  const s = scheme(url);
  if (/^WRONGPASS/.test(text)) {
    const user = urlUser(url);
    if (user !== null) {
      return new CliError(
        "ERR_AUTH",
        `the server at ${shown} refused user '${user}' with that password: ${text}`,
        `check the user and password in the URL (${s}://USER:PASSWORD@host:port; write @ : / % in them as %40 %3A %2F %25); the user must be in the server's [server] users and on`,
      );
    }
    return new CliError(
      "ERR_AUTH",
      `the server at ${shown} refused the password: ${text}`,
      `pass the right one in the URL: ${s}://:PASSWORD@host:port (or ${s}://USER:PASSWORD@host:port for a named user)`,
    );
  }
  if (/^NOAUTH/.test(text)) {
    return new CliError(
      "ERR_AUTH",
      `the server at ${shown} requires a password`,
      `pass it in the URL: ${s}://:PASSWORD@host:port (or ${s}://USER:PASSWORD@host:port), or set FERRITE_URL`,
    );
  }
  return null;
}

/** For a NOPERM reply: what the user of the URL lacks and how it is granted. */
export function nopermFix(reply: string, url: string): string {
  const grant = missingPermission(reply);
  const other = `connect as a user that has it (${scheme(url)}://USER:PASSWORD@host:port)`;
  if (grant === null) return `the user in --url lacks this permission: ${other}`;
  return `an admin can grant it: ${grant}, or put the rule in that user's rules ([server] users in the server's config); or ${other}`;
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
    if (err.code === "ERR_NOPERM") {
      return new CliError("ERR_NOPERM", `the server at ${displayUrl(url)} refused ${err.command ?? "the command"}: ${err.reply}`, nopermFix(err.reply, url));
    }
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
  }
  if (/has no file|loaded with WASM.LOADB/i.test(err.reply)) return "deploy it again with `ferrite-wasm deploy --replace` instead";
  return null;
}
