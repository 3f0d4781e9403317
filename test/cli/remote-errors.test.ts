// What the remote commands say when the target is wrong: a password missing or wrong, a plain
// redis-server (no WASM.*), nothing listening, a bad URL; and `serve`'s config file, flags and stop.
import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import tls from "node:tls";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort, HAVE_REDIS, startRedis, type RedisProcess } from "../helpers/redis.js";
import { redisCli } from "../helpers/server.js";
import { cli, ensureCliBuilt, tempDir } from "./helpers/cli.js";
import { HAVE_REDIS_CLI, startServe, type ServeProcess } from "./helpers/serve.js";

const HAVE_OPENSSL = spawnSync("openssl", ["version"]).status === 0;

let tmp: Awaited<ReturnType<typeof tempDir>>;
let project: string;

beforeAll(async () => {
  await ensureCliBuilt();
  tmp = await tempDir("ferrite-remote-errors-");
  project = path.join(tmp.dir, "fn");
  const created = await cli(["new", project, "--template", "blank"]);
  expect(created.code, `new failed: ${created.stderr}${created.stdout}`).toBe(0);
  const built = await cli(["build"], { cwd: project });
  expect(built.code, `build failed: ${built.stderr}${built.stdout}`).toBe(0);
});

afterAll(async () => {
  await tmp?.cleanup();
});

describe("AUTH: serve --requirepass (over a config file's), URLs with and without the password", () => {
  let server: ServeProcess;
  beforeAll(async () => {
    const config = path.join(tmp.dir, "server.toml");
    await writeFile(config, '[server]\nport = 1\nrequirepass = "from-the-file"\n\n[wasm]\ndefault_timeout_ms = 300\n');
    // --port 0 (from startServe) and --requirepass win over the file.
    server = await startServe(["--config", config, "--requirepass", "s3cret"], project);
  });
  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  });
  const withPass = (pass: string, user = "") => server.url.replace("redis://", `redis://${user}:${pass}@`);

  test("the ready line reports AUTH", () => {
    expect(JSON.parse(server.output().split("\n")[0])).toMatchObject({ ready: true, auth: true, store: "memory" });
  });

  test("deploy and call with the password in the URL", async () => {
    const deployed = await cli(["deploy", "--url", withPass("s3cret")], { cwd: project });
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stdout).toContain("redis://:***@127.0.0.1"); // never echo the password
    expect(deployed.stdout).not.toContain("s3cret");
    const called = await cli(["call", "--url", withPass("s3cret", "default"), "hello", "Ada"], { cwd: project });
    expect(called.stdout).toBe("Hello, Ada!\n");
    // FERRITE_URL is the default target.
    const listed = await cli(["list", "--json"], { cwd: project, env: { FERRITE_URL: withPass("s3cret") } });
    expect(JSON.parse(listed.stdout).functions[0]).toMatchObject({ name: "hello" });
  });

  test("no password: says the server requires one and how to pass it", async () => {
    const r = await cli(["list", "--url", server.url], { cwd: project });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the server at ${server.url} requires a password`);
    expect(r.stderr).toContain("redis://:PASSWORD@host:port");
  });

  test("a wrong password: says it was refused, without showing it", async () => {
    const r = await cli(["deploy", "--url", withPass("wrong")], { cwd: project });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("refused the password: WRONGPASS");
    expect(r.stderr).toContain("redis://:PASSWORD@host:port");
    expect(r.stderr).not.toContain("wrong@");
  });

  test.skipIf(!HAVE_OPENSSL)("rediss:// with a password, through a TLS proxy", async () => {
    // serve speaks plain RESP; a TLS terminator in front stands in for a TLS deployment.
    const key = path.join(tmp.dir, "key.pem");
    const cert = path.join(tmp.dir, "cert.pem");
    const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout", key, "-out", cert]);
    expect(made.status, String(made.stderr)).toBe(0);
    const proxy = tls.createServer({ key: await readFile(key), cert: await readFile(cert) }, (socket) => {
      const upstream = net.connect(server.port, "127.0.0.1");
      socket.pipe(upstream).pipe(socket);
      socket.on("error", () => upstream.destroy());
      upstream.on("error", () => socket.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const url = `rediss://default:s3cret@127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    try {
      const env = { NODE_EXTRA_CA_CERTS: cert };
      const deployed = await cli(["deploy", "hello", "--replace", "--url", url], { cwd: project, env });
      expect(deployed.code, deployed.stderr).toBe(0);
      const r = await cli(["call", "--url", url, "hello", "TLS"], { cwd: project, env });
      expect(r.stdout, r.stderr).toBe("Hello, TLS!\n");
      // Without trusting the certificate, the failure says so, and that --tls-ca trusts it.
      const untrusted = await cli(["list", "--url", url], { cwd: project });
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toContain("the server's TLS certificate is not signed by a CA this machine trusts");
      expect(untrusted.stderr).toContain("--tls-ca FILE");
      const trusted = await cli(["list", "--url", url, "--tls-ca", cert], { cwd: project });
      expect(trusted.code, trusted.stderr).toBe(0);
    } finally {
      proxy.close();
    }
  });

  test.skipIf(!HAVE_REDIS_CLI)("redis-cli with -a gets in", async () => {
    expect(await redisCli(server.port, ["WASM.CALL", "hello", "cli"], { flags: ["-a", "s3cret", "--no-auth-warning"] })).toBe("Hello, cli!");
  });
});

describe.skipIf(!HAVE_REDIS)("a plain redis-server", () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  test("deploy says this server cannot run ferrite-wasm functions, and what to do", async () => {
    const r = await cli(["deploy", "--url", redis.url], { cwd: project });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the server at ${redis.url} cannot run ferrite-wasm functions`);
    expect(r.stderr).toContain("unknown command 'WASM.LOADB'");
    expect(r.stderr).toContain("ferrite-wasm serve");
    expect(r.stderr).toContain("a Ferrite build with functions");
  });

  test("list and call --url say the same, with --json too", async () => {
    const list = await cli(["list", "--url", redis.url, "--json"], { cwd: project });
    expect(list.code).toBe(1);
    expect(JSON.parse(list.stdout).error).toMatchObject({ code: "ERR_NO_FUNCTIONS" });
    const call = await cli(["call", "--url", redis.url, "hello"], { cwd: project });
    expect(call.code).toBe(1);
    expect(call.stderr).toContain("cannot run ferrite-wasm functions");
  });
});

describe("nothing listening, bad URLs", () => {
  test("connection refused names the URL and says to start ferrite-wasm serve", async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    for (const args of [["deploy"], ["list"], ["call", "hello"]]) {
      const r = await cli([...args, "--url", url], { cwd: project });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot connect to ${url}: connection refused`);
      expect(r.stderr).toContain("ferrite-wasm serve");
    }
  });

  test("a URL that is not redis:// or rediss://", async () => {
    const r = await cli(["list", "--url", "http://127.0.0.1:6379"], { cwd: project });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not a redis:// or rediss:// URL");
  });
});

describe("serve", () => {
  test("a port in use: a clear error and exit 1", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await cli(["serve", "--port", String(port)], { cwd: project });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`127.0.0.1:${port} is already in use`);
    } finally {
      blocker.close();
    }
  });

  test("a bad config file names the key", async () => {
    const config = path.join(tmp.dir, "bad.toml");
    await writeFile(config, "[server]\nprot = 6390\n");
    const r = await cli(["serve", "--config", config], { cwd: project });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown key 'prot'");
  });

  test("SIGTERM stops it cleanly; --data-dir keeps deployed functions across a restart", async () => {
    const dataDir = path.join(tmp.dir, "data");
    const first = await startServe(["--data-dir", dataDir], project);
    expect((await cli(["deploy", "--url", first.url], { cwd: project })).code).toBe(0);
    expect(await first.stop()).toBe(0);
    expect(first.output()).toContain('"stopped":true');
    const second = await startServe(["--data-dir", dataDir], project);
    try {
      const r = await cli(["call", "--url", second.url, "hello", "again"], { cwd: project });
      expect(r.stdout).toBe("Hello, again!\n");
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});
