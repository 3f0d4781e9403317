// Keyspace access. Keys are text (sent as UTF-8); values are text or bytes. Each call needs its
// capability: get/exists "read", set "write", del "delete". A missing capability, or a write in
// WASM.CALLREAD, fails the whole call in the host; these functions never see an error code.

import { ferrite_del, ferrite_exists, ferrite_get, ferrite_set } from "./bindings";
import { blockData, blockLength, stringBlock, takeBlockBytes, takeBlockString } from "./memory";

export namespace keys {
  /** The value as text, or null when the key does not exist. */
  export function get(key: string): string | null {
    const k = stringBlock(key);
    const block = ferrite_get(blockData(k), blockLength(k));
    heap.free(k);
    return takeBlockString(block);
  }

  /** The value as bytes, or null when the key does not exist. */
  export function getBytes(key: string): Uint8Array | null {
    const k = stringBlock(key);
    const block = ferrite_get(blockData(k), blockLength(k));
    heap.free(k);
    return takeBlockBytes(block);
  }

  /** Stores text (as UTF-8). True when the host stored it. */
  export function set(key: string, value: string): bool {
    const k = stringBlock(key);
    const v = stringBlock(value);
    const status = ferrite_set(blockData(k), blockLength(k), blockData(v), blockLength(v));
    heap.free(v); // newest first: the stub allocator then takes both back
    heap.free(k);
    return status == 0;
  }

  /** Stores bytes as they are. True when the host stored them. */
  export function setBytes(key: string, value: Uint8Array): bool {
    const k = stringBlock(key);
    const status = ferrite_set(blockData(k), blockLength(k), value.dataStart, value.byteLength);
    heap.free(k);
    return status == 0;
  }

  /** Deletes the key. True when it existed. */
  export function del(key: string): bool {
    const k = stringBlock(key);
    const removed = ferrite_del(blockData(k), blockLength(k));
    heap.free(k);
    return removed == 1;
  }

  /** True when the key exists. */
  export function exists(key: string): bool {
    const k = stringBlock(key);
    const found = ferrite_exists(blockData(k), blockLength(k));
    heap.free(k);
    return found == 1;
  }
}
