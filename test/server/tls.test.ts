// TLS serving as Redis does it: tls_port beside or instead of port, client certificates per
// tls_auth_clients; reached by redis-cli --tls, ioredis and node-redis with certificates made here.
import { readFile } from "node:fs/promises";
import tls from "node:tls";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startServer } from "../../server/index.js";
import { redisCli, startTestServer, type TestServer } from "../helpers/server.js";
import { freePort } from "../helpers/redis.js";
import { makeCerts, type TestCerts } from "../helpers/tls.js";

let certs: TestCerts;
beforeAll(async () => {
  certs = await makeCerts();
}, 120_000);
afterAll(() => certs?.remove());

const tlsConfig = (extra: Record<string, unknown> = {}) => ({
  server: { port: 0, tls_port: 0, tls_cert_file: certs.serverCert, tls_key_file: certs.serverKey, tls_ca_cert_file: certs.ca, ...extra },
});

const cliTls = (c: TestCerts, withClientCert = true) => [
  "--tls",
  "--cacert",
  c.ca,
  ...(withClientCert ? ["--cert", c.clientCert, "--key", c.clientKey] : []),
];

/** Connects and resolves with how the handshake (and a PING) ended. */
function tlsPing(port: number, options: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: "localhost", ...options });
    let data = "";
    socket.on("secureConnect", () => socket.write("PING\r\n"));
    socket.on("data", (d) => {
      data += d.toString();
      if (data.endsWith("\r\n")) {
        socket.end();
        resolve(data.trim());
      }
    });
    socket.on("error", (e) => resolve(`error: ${e.message}`));
    socket.on("close", () => resolve(data ? data.trim() : "closed"));
  });
}

describe("TLS only (port = 0, tls_auth_clients = yes)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(tlsConfig());
  });
  afterAll(() => t?.close());

  test("the server reports only the TLS port and a rediss:// URL", () => {
    expect(t.server.tlsPort).toBe(t.server.port);
    expect(t.server.url).toBe(`rediss://127.0.0.1:${t.server.port}`);
  });

  test("redis-cli --tls with a client certificate", async () => {
    expect(await redisCli(t.port, ["PING"], { flags: cliTls(certs) })).toBe("PONG");
    expect(await redisCli(t.port, ["SET", "k", "over tls"], { flags: cliTls(certs) })).toBe("OK");
    expect(await redisCli(t.port, ["GET", "k"], { flags: cliTls(certs) })).toBe("over tls");
  });

  test("ioredis over TLS", async () => {
    const r = new Redis({
      host: "127.0.0.1",
      port: t.port,
      tls: { ca: await readFile(certs.ca), cert: await readFile(certs.clientCert), key: await readFile(certs.clientKey), servername: "localhost" },
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    try {
      await r.connect();
      expect(await r.ping()).toBe("PONG");
      expect(await r.call("WASM.LOAD", "echo", "echo.wasm")).toBe("OK");
      expect(await r.call("WASM.CALL", "echo", "hello tls")).toBe("hello tls");
    } finally {
      r.disconnect();
    }
  });

  test("node-redis over rediss://", async () => {
    const client = createClient({
      url: `rediss://127.0.0.1:${t.port}`,
      socket: {
        tls: true,
        ca: await readFile(certs.ca),
        cert: await readFile(certs.clientCert),
        key: await readFile(certs.clientKey),
        servername: "localhost",
        reconnectStrategy: false,
      },
    });
    client.on("error", () => {});
    await client.connect();
    try {
      expect(await client.ping()).toBe("PONG");
      expect(await client.sendCommand(["WASM.LIST"])).toBeInstanceOf(Array);
    } finally {
      await client.quit();
    }
  });

  test("a client without a certificate, or with one from another CA, is refused", async () => {
    const ca = await readFile(certs.ca);
    expect(await tlsPing(t.port, { ca })).not.toBe("+PONG");
    expect(await tlsPing(t.port, { ca, cert: await readFile(certs.strangerCert), key: await readFile(certs.strangerKey) })).not.toBe("+PONG");
    expect(await tlsPing(t.port, { ca, cert: await readFile(certs.clientCert), key: await readFile(certs.clientKey) })).toBe("+PONG");
  });

  test("plain TCP on the TLS port gets no reply", async () => {
    const out = await redisCli(t.port, ["PING"]).catch((e: Error) => e.message);
    expect(out).not.toBe("PONG");
  });
});

describe("plain and TLS side by side", () => {
  test("the same keyspace on both ports; tls_auth_clients = optional and no", async () => {
    const port = await freePort();
    const s = await startServer({ config: { ...tlsConfig({ port, tls_auth_clients: "optional" }), wasm: { plugins_dir: certs.dir } } });
    try {
      expect(s.port).toBe(port);
      expect(s.tlsPort).not.toBe(port);
      expect(s.url).toBe(`redis://127.0.0.1:${port}`);
      expect(await redisCli(port, ["SET", "side", "by side"])).toBe("OK");
      // optional: no certificate is fine, a certificate must be valid
      expect(await redisCli(s.tlsPort!, ["GET", "side"], { flags: cliTls(certs, false) })).toBe("by side");
      const ca = await readFile(certs.ca);
      expect(await tlsPing(s.tlsPort!, { ca })).toBe("+PONG");
      expect(await tlsPing(s.tlsPort!, { ca, cert: await readFile(certs.strangerCert), key: await readFile(certs.strangerKey) })).not.toBe("+PONG");
    } finally {
      await s.close();
    }
    const open = await startServer({ config: { ...tlsConfig({ tls_auth_clients: "no", tls_ca_cert_file: undefined }), wasm: { plugins_dir: certs.dir } } });
    try {
      expect(await tlsPing(open.tlsPort!, { ca: await readFile(certs.ca) })).toBe("+PONG");
    } finally {
      await open.close();
    }
  });
});

describe("configuration errors name the key and the fix", () => {
  test("tls_port without a certificate, a CA missing for client checks, an unreadable file, a key that is not the certificate's", async () => {
    await expect(startServer({ config: { server: { port: 0, tls_port: 0 } } })).rejects.toThrow(/server\.tls_cert_file: tls_port needs tls_cert_file/);
    await expect(
      startServer({ config: { server: { port: 0, tls_port: 0, tls_cert_file: certs.serverCert, tls_key_file: certs.serverKey } } }),
    ).rejects.toThrow(/tls_auth_clients = "yes" needs tls_ca_cert_file/);
    await expect(
      startServer({ config: { server: { port: 0, tls_port: 0, tls_cert_file: `${certs.dir}/nope.crt`, tls_key_file: certs.serverKey, tls_auth_clients: "no" } } }),
    ).rejects.toThrow(/cannot read \[server\] tls_cert_file .*nope\.crt: no such file/);
    await expect(
      startServer({ config: { server: { port: 0, tls_port: 0, tls_cert_file: certs.serverCert, tls_key_file: certs.clientKey, tls_auth_clients: "no" } } }),
    ).rejects.toThrow(/TLS files cannot be used/);
    await expect(startServer({ config: { server: { port: 0, tls_auth_clients: "maybe" as "yes" } } })).rejects.toThrow(/tls_auth_clients must be "yes", "optional" or "no"/);
  });
});
