// Least privilege costs: WASM.CALL -P16 as an ACL user (command rule + key patterns checked on the
// call and on the function's read) beside the default user, and over TLS beside plain TCP, on one
// server, with redis-benchmark (-c 50), interleaved over a few rounds (median kept).
// Target: the ACL user within 5% of default. TLS vs plain is reported as a ratio.
// Run: npx tsx bench/acl.ts [--rounds 3] [--np 200000]. Traffic goes to 127.0.0.1 only.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import pc from "picocolors";
import { startServer } from "../server/index.js";
import { freePort } from "../test/helpers/redis.js";
import { makeCerts } from "../test/helpers/tls.js";
import { watFile } from "../test/helpers/wat.js";

const { values: opts } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    np: { type: "string", default: "200000" },
  },
  strict: false,
});
const ROUNDS = Math.max(1, Number(opts.rounds));

function run(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile("redis-benchmark", args, { timeout: 180_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`redis-benchmark ${args.join(" ")}: ${stderr || err.message}`));
      const row = stdout.trim().split("\n").find((l) => !l.startsWith('"test"'));
      const rps = row ? Number(JSON.parse(`[${row}]`)[1]) : NaN;
      if (!Number.isFinite(rps)) reject(new Error(`unexpected redis-benchmark output: ${stdout}`));
      else resolve(rps);
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const certs = await makeCerts();
  const pluginsDir = certs.dir;
  await writeFile(path.join(pluginsDir, "kv.wasm"), watFile(new URL("../test/server/fixtures/kv.wat", import.meta.url)));
  const plainPort = await freePort();
  const server = await startServer({
    config: {
      server: {
        port: plainPort,
        tls_port: 0,
        tls_cert_file: certs.serverCert,
        tls_key_file: certs.serverKey,
        tls_auth_clients: "no",
        users: [{ name: "app", rules: "on >secret ~user:* ~session:* %R~config:* +@wasm-call +get" }],
      },
      wasm: { plugins_dir: pluginsDir },
    },
  });
  try {
    const tlsPort = server.tlsPort!;
    const admin = [`-h`, "127.0.0.1", "-p", String(plainPort)];
    await run([...admin, "-n", "1", "-q", "--csv", "WASM.LOAD", "kv_get", "kv.wasm"]);
    await run([...admin, "-n", "1", "-q", "--csv", "SET", "user:1", "0123456789abcdef"]);
    const call = ["WASM.CALL", "kv_get", "user:1"];
    const base = ["-c", "50", "-n", String(opts.np), "-P", "16", "-q", "--csv"];
    const rows: [string, string[]][] = [
      ["default user, plain", ["-h", "127.0.0.1", "-p", String(plainPort), ...base, ...call]],
      ["ACL user app, plain", ["-h", "127.0.0.1", "-p", String(plainPort), "--user", "app", "-a", "secret", ...base, ...call]],
      ["default user, TLS", ["-h", "127.0.0.1", "-p", String(tlsPort), "--tls", "--cacert", certs.ca, "--sni", "localhost", ...base, ...call]],
    ];
    const results = new Map<string, number[]>(rows.map(([l]) => [l, []]));
    for (let r = 0; r < ROUNDS; r++) for (const [label, args] of rows) results.get(label)!.push(await run(args));
    const m = (l: string) => median(results.get(l)!);
    console.log(pc.bold(`\nWASM.CALL kv_get user:1, -c 50 -P 16 (median of ${ROUNDS})`));
    for (const [label] of rows) {
      console.log(`  ${label.padEnd(22)} ${Math.round(m(label)).toLocaleString("en-US").padStart(10)} req/s   [${results.get(label)!.map((x) => Math.round(x)).join(", ")}]`);
    }
    const aclRatio = m("ACL user app, plain") / m("default user, plain");
    const tlsRatio = m("default user, TLS") / m("default user, plain");
    const ok = aclRatio >= 0.95;
    console.log(`  ${ok ? pc.green("PASS") : pc.yellow("MISS")} ACL user / default: ${aclRatio.toFixed(3)} (target >= 0.95)`);
    console.log(`  TLS / plain: ${tlsRatio.toFixed(3)}`);
  } finally {
    await server.close();
    await certs.remove();
  }
}

await main();
