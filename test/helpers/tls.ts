// Certificates for TLS tests, made by Debian's openssl in a temporary directory: a CA, a server
// certificate for 127.0.0.1/localhost, a client certificate from the same CA and one from a stranger CA.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TestCerts {
  dir: string;
  ca: string;
  /** Another CA, which signed none of the server's certificates. */
  strangerCa: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Signed by another CA: a server that checks client certificates refuses it. */
  strangerCert: string;
  strangerKey: string;
  remove(): Promise<void>;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run("openssl", args, { cwd: dir, timeout: 60_000 });
}

async function signed(dir: string, name: string, ca: string, cn: string, ext: string): Promise<void> {
  await openssl(dir, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
  await openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", ext]);
}

export async function makeCerts(): Promise<TestCerts> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ferrite-tls-"));
  const { writeFile } = await import("node:fs/promises");
  await writeFile(path.join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  await writeFile(path.join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const ca of ["ca", "stranger-ca"]) {
    await openssl(dir, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${ca}.key`, "-out", `${ca}.crt`, "-days", "2", "-subj", `/CN=${ca}`]);
  }
  await signed(dir, "server", "ca", "localhost", "server.ext");
  await signed(dir, "client", "ca", "client", "client.ext");
  await signed(dir, "stranger", "stranger-ca", "stranger", "client.ext");
  const f = (n: string) => path.join(dir, n);
  return {
    dir,
    ca: f("ca.crt"),
    strangerCa: f("stranger-ca.crt"),
    serverCert: f("server.crt"),
    serverKey: f("server.key"),
    clientCert: f("client.crt"),
    clientKey: f("client.key"),
    strangerCert: f("stranger.crt"),
    strangerKey: f("stranger.key"),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
