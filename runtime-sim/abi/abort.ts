// env.abort(message, file, line, column): AssemblyScript's default abort, decoded for the reply.
import type { GuestMemory } from "./guest-memory.js";

export function decodeAbort(mem: GuestMemory, msg: number, file: number, line: number, col: number): string {
  const message = (msg ? mem.readAscString(msg) : null) ?? "abort";
  const where = file ? mem.readAscString(file) : null;
  return where ? `${message} at ${where}:${line >>> 0}:${col >>> 0}` : message;
}
