// A real 3-master Redis Cluster on loopback, for the cluster tests: three redis-server processes
// with --cluster-enabled yes, joined by `redis-cli --cluster create`, ready once every node says
// cluster_state:ok. Each node's cluster bus is its port + 10000, so both must be free.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { redisCli } from "./server.js";

export interface RedisCluster {
  ports: number[];
  /** Any node: what --store gets; clients find the others. */
  url: string;
  cli(port: number, args: string[]): Promise<string>;
  stop(): Promise<void>;
}

function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

async function clusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    if (!taken.has(port) && (await free(port)) && (await free(port + 10000))) return port;
  }
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(" ")}: ${stderr || stdout || err.message}`)) : resolve(stdout)));
  });
}

export async function startCluster(): Promise<RedisCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ferrite-cluster-"));
  const taken = new Set<number>();
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            c.once("exit", () => resolve());
            c.kill("SIGKILL");
          }),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await clusterPort(taken);
      taken.add(port);
      ports.push(port);
      children.push(
        spawn(
          "redis-server",
          ["--port", String(port), "--bind", "127.0.0.1", "--protected-mode", "no", "--save", "", "--appendonly", "no",
            "--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--dir", dir],
          { stdio: "ignore" },
        ),
      );
    }
    for (const port of ports) await until(() => redisCli(port, ["PING"]).then((r) => r === "PONG", () => false), `node ${port} to start`);
    await run("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-yes"]);
    for (const port of ports) {
      await until(() => redisCli(port, ["CLUSTER", "INFO"]).then((r) => r.includes("cluster_state:ok"), () => false), `node ${port} to report cluster_state:ok`);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { ports, url: `redis://127.0.0.1:${ports[0]}`, cli: (port, args) => redisCli(port, args), stop };
}

/** Polls until `ok`; the bound only stops a broken setup from hanging the suite. */
async function until(ok: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}
