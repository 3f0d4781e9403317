// The store's bridge to Redis: a WorkerBridge whose worker owns an ioredis connection (redis-worker.ts).
import { createRequire } from "node:module";
import { WorkerBridge } from "../../runtime-sim/host.js";
import { WORKER_SOURCE } from "./redis-worker.js";

export { BridgeError, type BridgeAnswer } from "../../runtime-sim/worker-bridge.js";

export class SyncBridge extends WorkerBridge {
  constructor(
    readonly url: string,
    connectTimeoutMs: number,
  ) {
    super(WORKER_SOURCE, { url, connectTimeoutMs, ioredisPath: createRequire(import.meta.url).resolve("ioredis") }, "the store bridge");
  }

  /** Says goodbye to Redis (QUIT) before stopping the worker. */
  override async close(): Promise<void> {
    if (this.alive) await this.requestAsync({ op: "close" }, 1000).catch(() => {});
    await super.close();
  }
}
