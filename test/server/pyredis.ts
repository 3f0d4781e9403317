// redis-py, as Debian's python3-redis installs it, driven from tests: the script gets `r`, a client
// for the given port (and db), and prints its result as JSON on stdout.
import { execFile, spawnSync } from "node:child_process";

/** Debian's python, where python3-redis lives (a pyenv python on PATH would not have it). */
const PYTHON = "/usr/bin/python3";
export const HAVE_REDIS_PY = spawnSync(PYTHON, ["-c", "import redis"]).status === 0;

export function redisPy(port: number, body: string, db = 0): Promise<unknown> {
  const script = `import json, redis\nr = redis.Redis(host="127.0.0.1", port=${port}, db=${db})\n${body}`;
  return new Promise((resolve, reject) => {
    execFile(PYTHON, ["-c", script], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`redis-py failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout));
    });
  });
}
