// `npm run demo`: the whole story with the built CLI (dist/cli.js) on the embedded defaults:
// scaffold a function into a temporary folder, build it, test it, serve, deploy, call it over
// RESP, print WASM.STATS, stop the server and clean up. Exits nonzero when any step fails.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const CLI = path.join(ROOT, "dist/cli.js");
const TEMPLATE = "validate";
const FN = "validate";
const ARG = '{"email": "ada@example.com"}';
const STEP_TIMEOUT_MS = 180_000;

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (s) => (color ? `\x1b[1m${s}\x1b[22m` : s);
const dim = (s) => (color ? `\x1b[2m${s}\x1b[22m` : s);
const red = (s) => (color ? `\x1b[31m${s}\x1b[39m` : s);
const green = (s) => (color ? `\x1b[32m${s}\x1b[39m` : s);

const STEPS = 9;
let step = 0;
function title(text) {
  step++;
  console.log(`\n${bold(`[${step}/${STEPS}] ${text}`)}`);
}

/** Runs a command with its output shown; throws when it fails or takes too long. */
function run(cmd, args, cwd, { show = cmd, shown = args } = {}) {
  console.log(dim(`$ ${show} ${shown.map(quote).join(" ")}`));
  const r = spawnSync(cmd, args, { cwd, stdio: "inherit", timeout: STEP_TIMEOUT_MS, env: { ...process.env, FORCE_COLOR: color ? "1" : "0" } });
  if (r.error) throw new Error(`${show} ${shown[0]} could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${show} ${shown[0]} exited with code ${r.status ?? r.signal}`);
}

const cli = (args, cwd) => run(process.execPath, [CLI, ...args], cwd, { show: "ferrite-wasm", shown: args });
const quote = (a) => (/^[\w.:/@=,-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts `ferrite-wasm serve --json` and resolves with the URL from its ready line. */
function serve(port, cwd) {
  console.log(dim(`$ ferrite-wasm serve --port ${port} --json`));
  const child = spawn(process.execPath, [CLI, "serve", "--port", String(port), "--json"], { cwd, stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  const ready = new Promise((resolve, reject) => {
    let buffer = "";
    let seen = 0;
    const timer = setTimeout(() => reject(new Error("ferrite-wasm serve did not print its ready line within 30 s")), 30_000);
    // Each JSON line the server prints (ready, then stopped) is shown once.
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      const lines = buffer.split("\n").slice(0, -1);
      for (const line of lines.slice(seen)) {
        console.log(line);
        if (line.includes('"ready"')) {
          clearTimeout(timer);
          resolve(JSON.parse(line).url);
        }
      }
      seen = lines.length;
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`ferrite-wasm serve exited (${code}) before it was ready`));
    });
  });
  return { child, exited, ready };
}

async function main() {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing; run \`npm run build\` (npm ci does it through the prepare script)`);
  const tmp = await mkdtemp(path.join(os.tmpdir(), "ferrite-demo-"));
  const project = path.join(tmp, "demo-fn");
  let server = null;
  try {
    title(`Scaffold a function from the '${TEMPLATE}' template into ${project}`);
    cli(["new", project, "--template", TEMPLATE], tmp);

    title("Build it to WebAssembly (checked against ABI v1)");
    cli(["build"], project);

    title("Run its tests on the local simulator");
    cli(["test"], project);

    title("Start ferrite-wasm serve on a free port (embedded in-memory store)");
    const port = await freePort();
    server = serve(port, project);
    const url = await server.ready;

    title("Deploy the function (WASM.LOADB, verified with WASM.INFO)");
    cli(["deploy", "--url", url], project);

    title("Call it over RESP with redis-cli");
    if (spawnSync("redis-cli", ["--version"]).status === 0) {
      run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "WASM.CALL", FN, ARG], project);
      run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "WASM.CALL", FN, '{"email": "not-an-email"}'], project);
    } else {
      console.log(dim("redis-cli is not installed (apt-get install redis-tools); skipped. The next step calls over RESP too."));
    }

    title("Call it over RESP with ferrite-wasm call --url");
    cli(["call", "--url", url, FN, ARG], project);

    title("Print WASM.STATS");
    cli(["stats", "--url", url], project);

    title("Stop the server");
    server.child.kill("SIGTERM");
    const code = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r("timeout"), 10_000))]);
    if (code !== 0) throw new Error(`ferrite-wasm serve did not stop cleanly (${code})`);
    server = null;
    console.log(`\n${green("✔")} ${bold("Demo complete:")} scaffolded, built, tested, served, deployed and called ${FN} over RESP.`);
  } finally {
    if (server) {
      server.child.kill("SIGKILL");
      await server.exited;
    }
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`\n${red("✖")} ${bold(`Demo failed at step ${step}/${STEPS}:`)} ${e.message}`);
  process.exit(1);
});
