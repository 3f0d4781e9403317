// Reading a module file for WASM.LOAD and RELOAD without trusting what the path points at. A FIFO
// opened the usual way blocks one of libuv's few file threads until someone writes to it (four such
// loads stall every file operation of the process), and a device never ends. So: open without
// blocking, fstat the open file, and read only a regular file no larger than the limit.
import { constants, type Stats } from "node:fs";
import { open } from "node:fs/promises";
import { FerriteError } from "../errors.js";
import { humanBytes } from "../limits/memory.js";

/** Source maps are optional helpers; past this size one is refused rather than read. */
export const MAX_SOURCE_MAP_BYTES = 64 * 1024 * 1024;

export interface ReadLimits {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** How the limit is named in the refusal, with its fix. */
  limitText: string;
}

/**
 * The file's bytes. `what` opens each error ("cannot load 'f'"); every refusal names the path and
 * the fix. `missing` (when given) is returned for a file that does not exist.
 */
export async function readRegularFile(file: string, what: string, limits: ReadLimits): Promise<Uint8Array>;
export async function readRegularFile<M>(file: string, what: string, limits: ReadLimits, missing: M): Promise<Uint8Array | M>;
export async function readRegularFile<M>(file: string, what: string, limits: ReadLimits, ...missing: [M?]): Promise<Uint8Array | M> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && missing.length > 0) return missing[0] as M;
    throw new FerriteError("ERR_PATH", `${what}: cannot read ${file} (${code ?? (e as Error).message}); check the file`, null, { path: file });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new FerriteError("ERR_PATH", `${what}: ${file} is ${kindOf(stat)}, not a regular file; point to the module file itself (or send its bytes with WASM.LOADB)`, null, { path: file });
    }
    const tooBig = (size: number) =>
      new FerriteError("ERR_MODULE_LIMIT", `${what}: ${file} is ${humanBytes(size)} (${size} bytes), above ${limits.limitText}`, null, { path: file, size_bytes: size, limit_bytes: limits.maxBytes });
    if (stat.size > limits.maxBytes) throw tooBig(stat.size);
    // Read to the end, not to stat's size: the file may have changed since; never past the limit.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(stat.size - total, 64 * 1024), limits.maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.byteLength, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > limits.maxBytes) throw tooBig(total);
    }
    const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (e) {
    if (e instanceof FerriteError) throw e;
    throw new FerriteError("ERR_PATH", `${what}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the file`, null, { path: file });
  } finally {
    await handle.close().catch(() => {});
  }
}

function kindOf(stat: Stats): string {
  if (stat.isFIFO()) return "a FIFO (named pipe)";
  if (stat.isDirectory()) return "a directory";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isSocket()) return "a socket";
  return "not a plain file";
}
