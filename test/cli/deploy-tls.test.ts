// Issue 13, item 4, end to end through the built CLI: `deploy`, the remote verbs and the typed client
// reach a TLS-only `ferrite-wasm serve` (port = 0, tls_port) as ACL users from its config, with
// rediss://USER:PASS@host and --tls-ca; a user without a permission is told which one and how it is
// granted; a wrong CA, a wrong password, a plain URL at the TLS port, a missing client certificate
// each get one message with the problem and its fix (never a stack trace).
import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FerriteClient } from "../../server/client.js";
import { makeCerts, type TestCerts } from "../helpers/tls.js";
import { cli, type CliResult, spawnCli, tempDir } from "./helpers/cli.js";
import { startServe, type ServeProcess } from "./helpers/serve.js";

const HAVE_OPENSSL = spawnSync("openssl", ["version"]).status === 0;

/** A failure the user can act on: exit code 1, and no stack trace however it failed. */
function expectFailure(r: CliResult): void {
  expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/Error:|ERR_INTERNAL/);
}

/** [server] for a TLS-only server: every [server] key given as TOML lines. */
function tlsOnly(certs: TestCerts, extra: string): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    "[server]",
    "port = 0",
    "tls_port = 0",
    `tls_cert_file = ${q(certs.serverCert)}`,
    `tls_key_file = ${q(certs.serverKey)}`,
    extra,
    "",
  ].join("\n");
}

describe.skipIf(!HAVE_OPENSSL)("deploy and the remote verbs over TLS, as ACL users", () => {
  let certs: TestCerts;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let project: string;
  let server: ServeProcess;
  /** rediss://user:pass@127.0.0.1:<tls port> */
  const url = (user: string, pass: string) => `rediss://${user}:${pass}@127.0.0.1:${server.port}`;
  const deployer = () => url("deployer", "dpass");
  const caller = () => url("caller", "cpass");
  const run = (args: string[], env?: Record<string, string>) => cli(args, { cwd: project, env });
  const withCa = (args: string[], u: string) => run([...args, "--url", u, "--tls-ca", certs.ca]);

  beforeAll(async () => {
    certs = await makeCerts();
    tmp = await tempDir("ferrite-deploy-tls-");
    project = path.join(tmp.dir, "fn");
    const created = await cli(["new", project, "--template", "blank"]);
    expect(created.code, `new failed: ${created.stderr}${created.stdout}`).toBe(0);
    const built = await cli(["build"], { cwd: project });
    expect(built.code, `build failed: ${built.stderr}${built.stdout}`).toBe(0);
    const config = path.join(tmp.dir, "tls-server.toml");
    await writeFile(
      config,
      tlsOnly(
        certs,
        [
          'tls_auth_clients = "no"',
          "users = [",
          '  { name = "default", rules = "off" },',
          '  { name = "deployer", rules = "on >dpass ~* +@wasm-deploy +@wasm-info" },',
          '  { name = "caller", rules = "on >cpass ~user:* +@wasm-call" },',
          "]",
        ].join("\n"),
      ),
    );
    server = await startServe(["--config", config], tmp.dir);
  });

  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0);
    await tmp?.cleanup();
    await certs?.remove();
  });

  test("the server listens on TLS only, with no warning about an open default user", () => {
    expect(server.url).toBe(`rediss://127.0.0.1:${server.port}`);
    expect(JSON.parse(server.output().split("\n")[0])).toMatchObject({ ready: true, auth: true });
    expect(server.errors()).not.toMatch(/warn/);
  });

  test("the deployer deploys with rediss://USER:PASS@host and --tls-ca; list shows the function", async () => {
    const deployed = await withCa(["deploy"], deployer());
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stdout).toContain(`Deployed 1 function to rediss://deployer:***@127.0.0.1:${server.port}; checked with WASM.INFO.`);
    expect(deployed.stdout + deployed.stderr).not.toContain("dpass");

    const listed = await withCa(["list", "--json"], deployer());
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ url: `rediss://deployer:***@127.0.0.1:${server.port}`, functions: [{ name: "hello" }] });

    // The other remote verbs a deployer has (wasm-deploy, wasm-info) go through the same connection.
    for (const args of [["info", "hello"], ["stats"], ["versions", "hello"], ["update", "hello", "--timeout", "500"]]) {
      const r = await withCa(args, deployer());
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    }
    const again = await withCa(["deploy", "--replace"], deployer());
    expect(again.code, again.stderr).toBe(0);
  });

  test("the caller calls it, with --tls-ca or FERRITE_TLS_CA; FERRITE_URL is the target of list", async () => {
    const called = await withCa(["call", "hello", "TLS"], caller());
    expect(called.code, called.stderr).toBe(0);
    expect(called.stdout).toBe("Hello, TLS!\n");
    expect(called.stderr).toContain(`WASM.CALL on rediss://caller:***@127.0.0.1:${server.port}`);

    // (`call` without --url runs the local build, so FERRITE_URL is not its target.)
    const caFromEnv = await run(["call", "hello", "env", "--json", "--url", caller()], { FERRITE_TLS_CA: certs.ca });
    expect(caFromEnv.code, caFromEnv.stderr).toBe(0);
    expect(JSON.parse(caFromEnv.stdout)).toMatchObject({ ok: true, value: "Hello, env!", command: "WASM.CALL" });
    const listed = await run(["list", "--json"], { FERRITE_URL: deployer(), FERRITE_TLS_CA: certs.ca });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).functions).toMatchObject([{ name: "hello" }]);
  });

  test("deploy as the caller: exit 1, the NOPERM reply, the command, and what to grant", async () => {
    const r = await withCa(["deploy", "--replace"], caller());
    expectFailure(r);
    expect(r.stderr).toContain(`the server at rediss://caller:***@127.0.0.1:${server.port} refused WASM.LOADB: NOPERM User caller has no permissions to run the 'wasm.loadb' command`);
    expect(r.stderr).toContain("ACL SETUSER caller +wasm.loadb (or the whole category: +@wasm-deploy)");
    expect(r.stderr).toContain("[server] users");
    expect(r.stderr).not.toContain("see the reason under each function");

    const json = await run(["deploy", "--replace", "--json", "--url", caller(), "--tls-ca", certs.ca]);
    expect(json.code).toBe(1);
    const { error } = JSON.parse(json.stdout) as { error: { code: string; message: string; fix: string } };
    expect(error.code).toBe("ERR_NOPERM");
    expect(error.message).toContain("NOPERM User caller has no permissions to run the 'wasm.loadb' command");
    expect(error.fix).toContain("+@wasm-deploy");
  });

  test("every remote verb the caller may not run names its command and category", async () => {
    const refused: [string[], string, string][] = [
      [["list"], "wasm.list", "wasm-info"],
      [["info", "hello"], "wasm.info", "wasm-info"],
      [["stats"], "wasm.stats", "wasm-info"],
      [["versions", "hello"], "wasm.versions", "wasm-info"],
      [["update", "hello", "--timeout", "900"], "wasm.update", "wasm-deploy"],
      [["reload", "hello"], "wasm.reload", "wasm-deploy"],
      [["unload", "hello"], "wasm.unload", "wasm-deploy"],
      [["rollback", "hello"], "wasm.rollback", "wasm-deploy"],
      [["logs"], "wasm.logs", "wasm-observe"],
      [["replay", "hello"], "wasm.failures|get", "wasm-observe"],
    ];
    for (const [args, command, category] of refused) {
      const r = await withCa(args, caller());
      expectFailure(r);
      expect(r.stderr, args.join(" ")).toContain(`NOPERM User caller has no permissions to run the '${command}' command`);
      expect(r.stderr, args.join(" ")).toContain(`ACL SETUSER caller +${command} (or the whole category: +@${category})`);
    }
    // And the deployer may not call: the same, from `call`.
    const call = await withCa(["call", "hello", "x"], deployer());
    expectFailure(call);
    expect(call.stderr).toContain("refused WASM.CALL: NOPERM User deployer has no permissions to run the 'wasm.call' command");
    expect(call.stderr).toContain("ACL SETUSER deployer +wasm.call (or the whole category: +@wasm-call)");
    // Nothing the caller tried changed the function.
    const info = await withCa(["info", "hello", "--json"], deployer());
    expect(JSON.parse(info.stdout)).toMatchObject({ name: "hello", timeout_ms: 100 });
  });

  test("the typed client: a user and TLS files; a refusal says which permission is missing", async () => {
    const client = new FerriteClient(caller(), { tls: FerriteClient.tlsFiles({ ca: certs.ca }), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await client.redis.connect();
      expect(await client.wasmCall("hello", ["client"])).toBe("Hello, client!");
      const refused = (await client.wasmUnload("hello").catch((e: unknown) => e)) as { code: string; reply: string };
      expect(refused.code).toBe("ERR_NOPERM");
      expect(FerriteClient.missingPermission(refused.reply)).toBe("ACL SETUSER caller +wasm.unload (or the whole category: +@wasm-deploy)");
    } finally {
      client.disconnect();
    }
  });

  test("a wrong CA: a TLS message that says to pass the right --tls-ca", async () => {
    const r = await run(["deploy", "--replace", "--url", deployer(), "--tls-ca", certs.strangerCa]);
    expectFailure(r);
    expect(r.stderr).toContain(`cannot connect to rediss://deployer:***@127.0.0.1:${server.port}: the server's TLS certificate is not signed by the CA in ${certs.strangerCa} (--tls-ca)`);
    expect(r.stderr).toMatch(/fix .*pass the CA certificate that issued the server's certificate .* with --tls-ca FILE/);
    expect(r.stderr).not.toContain("SSL routines");

    const none = await run(["list", "--json", "--url", deployer()]);
    expect(none.code).toBe(1);
    const { error } = JSON.parse(none.stdout) as { error: { code: string; message: string; fix: string } };
    expect(error).toMatchObject({ code: "ERR_CONNECT" });
    expect(error.message).toContain("the server's TLS certificate is not signed by a CA this machine trusts");
    expect(error.fix).toContain("--tls-ca FILE");
  });

  test("a wrong password, an unknown user, no user: refused, without echoing the password", async () => {
    const wrong = await withCa(["deploy", "--replace"], url("deployer", "not-dpass"));
    expectFailure(wrong);
    expect(wrong.stderr).toContain(`the server at rediss://deployer:***@127.0.0.1:${server.port} refused user 'deployer' with that password: WRONGPASS`);
    expect(wrong.stderr).toContain("rediss://USER:PASSWORD@host:port");
    expect(wrong.stderr).not.toContain("not-dpass");

    const nobody = await withCa(["list"], url("nobody", "x"));
    expectFailure(nobody);
    expect(nobody.stderr).toContain("refused user 'nobody' with that password: WRONGPASS");

    const anonymous = await withCa(["list"], `rediss://127.0.0.1:${server.port}`);
    expectFailure(anonymous);
    expect(anonymous.stderr).toContain(`the server at rediss://127.0.0.1:${server.port} requires a password`);
    expect(anonymous.stderr).toContain("rediss://USER:PASSWORD@host:port");
  });

  test("redis:// at the TLS port says to write rediss://", async () => {
    for (const u of [`redis://deployer:dpass@127.0.0.1:${server.port}`, `redis://127.0.0.1:${server.port}`]) {
      const r = await run(["list", "--url", u]);
      expectFailure(r);
      expect(r.stderr, u).toContain("the server closed the connection without answering");
      expect(r.stderr, u).toContain("write the URL as rediss://");
    }
  });

  test("dev --url takes the same user and TLS files, and reports a wrong CA the same way", async () => {
    const dev = spawnCli(["dev", "--url", deployer(), "--tls-ca", certs.ca, "--no-test", "--json"], project);
    try {
      await dev.waitFor((e) => e.type === "deploy" && e.function === "hello", "the deploy over TLS");
      expect(dev.events().find((e) => e.type === "deploying")).toMatchObject({ url: `rediss://deployer:***@127.0.0.1:${server.port}` });
    } finally {
      dev.child.kill("SIGINT");
      await dev.exited();
    }
    expect(dev.errors()).toBe("");
    const wrong = await run(["dev", "--url", deployer(), "--tls-ca", certs.strangerCa, "--no-test"]);
    expectFailure(wrong);
    expect(wrong.stderr).toContain(`the server's TLS certificate is not signed by the CA in ${certs.strangerCa} (--tls-ca)`);
  });

  test("TLS flags that cannot work are usage errors naming the flag", async () => {
    const missing = path.join(tmp.dir, "no-such-ca.pem");
    const r = await run(["list", "--url", deployer(), "--tls-ca", missing]);
    expectFailure(r);
    expect(r.stderr).toContain(`cannot read --tls-ca ${missing}: no such file`);

    const plain = await withCa(["list"], `redis://deployer:dpass@127.0.0.1:${server.port}`);
    expectFailure(plain);
    expect(plain.stderr).toContain("is not a rediss:// URL");

    const half = await withCa(["list", "--tls-cert", certs.clientCert], deployer());
    expectFailure(half);
    expect(half.stderr).toContain("--tls-cert needs --tls-key");
  });
});

describe.skipIf(!HAVE_OPENSSL)("a server that checks client certificates (tls_auth_clients = yes)", () => {
  let certs: TestCerts;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: ServeProcess;
  const list = (extra: string[]) => cli(["list", "--url", `rediss://:s3cret@127.0.0.1:${server.port}`, "--tls-ca", certs.ca, ...extra], { cwd: tmp.dir });

  beforeAll(async () => {
    certs = await makeCerts();
    tmp = await tempDir("ferrite-deploy-mtls-");
    const config = path.join(tmp.dir, "mtls-server.toml");
    await writeFile(config, tlsOnly(certs, [`tls_ca_cert_file = ${JSON.stringify(certs.ca)}`, 'requirepass = "s3cret"'].join("\n")));
    server = await startServe(["--config", config], tmp.dir);
  });

  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0);
    await tmp?.cleanup();
    await certs?.remove();
  });

  test("--tls-cert and --tls-key get in", async () => {
    const r = await list(["--tls-cert", certs.clientCert, "--tls-key", certs.clientKey, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ functions: [] });
  });

  test("without a client certificate: the server requires one, pass --tls-cert and --tls-key", async () => {
    const r = await list([]);
    expectFailure(r);
    expect(r.stderr).toContain("the server requires a client certificate (tls_auth_clients) and none was sent");
    expect(r.stderr).toContain("--tls-cert FILE --tls-key FILE");
    expect(r.stderr).not.toContain("SSL routines");
  });

  test("a client certificate from another CA: refused, and says which CA it must chain to", async () => {
    const r = await list(["--tls-cert", certs.strangerCert, "--tls-key", certs.strangerKey]);
    expectFailure(r);
    expect(r.stderr).toContain(certs.strangerCert);
    expect(r.stderr).toContain("signed by the CA the server trusts (its tls_ca_cert_file)");
  });
});
