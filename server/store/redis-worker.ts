// The worker side of the Redis bridge, as plain CommonJS source run with `new Worker(src, {eval: true})`:
// that works the same under tsx, vitest and a bundled build (no .ts worker file to locate or load).
// It owns one ioredis connection, serves one request at a time, posts the answer on its port, then
// bumps control[0] to the request's sequence number and wakes the main thread blocked in Atomics.wait.
import { WORKER_PROTOCOL } from "../../runtime-sim/host.js";

export const WORKER_SOURCE = String.raw`
"use strict";
const { workerData } = require("node:worker_threads");
const Redis = require(workerData.ioredisPath);
const { url, connectTimeoutMs } = workerData;

const redis = new Redis(url, {
  lazyConnect: true,
  enableOfflineQueue: false, // a request while disconnected fails at once instead of hanging
  maxRetriesPerRequest: 0,
  connectTimeout: connectTimeoutMs,
  retryStrategy: (n) => Math.min(50 * n, 1000),
  connectionName: "ferrite-wasm:functions",
});
redis.on("error", () => {}); // failures are reported per request

// Other databases (a client that ran SELECT n): one more connection each, made on first use.
const others = new Map();
async function conn(db) {
  if (db === undefined || db === (redis.options.db || 0)) return redis;
  let c = others.get(db);
  if (!c) {
    c = redis.duplicate({ db, connectionName: "ferrite-wasm:functions:db" + db });
    c.on("error", () => {});
    others.set(db, c);
  }
  if (c.status === "wait") await c.connect();
  return c;
}

const buf = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);

async function run(m) {
  switch (m.op) {
    case "connect":
      if (redis.status === "wait") await redis.connect();
      await redis.ping();
      return null;
    case "get":
      return await (await conn(m.db)).getBuffer(buf(m.key));
    case "exists":
      return await (await conn(m.db)).exists(buf(m.key));
    case "apply": {
      // All of a call's writes in one MULTI/EXEC: other clients see all of them or none.
      const tx = (await conn(m.db)).multi();
      for (const w of m.writes) {
        if (w.value === null) tx.del(buf(w.key));
        else tx.set(buf(w.key), buf(w.value));
      }
      const res = await tx.exec();
      if (res === null) throw new Error("the transaction was aborted");
      for (const [e] of res) if (e) throw e;
      return res.length;
    }
    case "close":
      for (const c of others.values()) c.disconnect();
      await redis.quit().catch(() => redis.disconnect());
      return null;
    default:
      throw new Error("unknown op " + m.op);
  }
}

function failure(e) {
  return { error: (e && e.message) || String(e), reply: !!e && e.name === "ReplyError" };
}
` + WORKER_PROTOCOL;
