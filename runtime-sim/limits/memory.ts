// MEMORY limits: "10MB" and friends, in powers of 1024; a bare number is bytes.
import { errors } from "../errors.js";

export const WASM_PAGE = 65536;
const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
/** Wasm32 memory cannot exceed 4 GiB. */
export const MAX_MEMORY_BYTES = 4 * 1024 ** 3;

export function parseMemoryLimit(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value <= 0 || value > MAX_MEMORY_BYTES) throw errors.invalidMemory(String(value));
    return value;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? (m[2] || "B").toUpperCase() : "";
  if (!m || !(unit in UNITS)) throw errors.invalidMemory(value);
  const bytes = Math.floor(Number(m[1]) * UNITS[unit]);
  if (bytes <= 0 || bytes > MAX_MEMORY_BYTES) throw errors.invalidMemory(value);
  return bytes;
}

/** Whole wasm pages that fit under the limit: the guest can never hold more. */
export function limitPages(bytes: number): number {
  return Math.floor(bytes / WASM_PAGE);
}

/** The shortest exact spelling: 10485760 -> "10MB", 1536 -> "1536B" unless it divides. */
export function formatBytes(bytes: number): string {
  for (const unit of ["GB", "MB", "KB"]) {
    if (bytes >= UNITS[unit] && bytes % UNITS[unit] === 0) return `${bytes / UNITS[unit]}${unit}`;
  }
  return `${bytes}B`;
}

/** A size for people: 2.5MB, 64KB. */
export function humanBytes(bytes: number): string {
  for (const unit of ["GB", "MB", "KB"]) {
    if (bytes >= UNITS[unit]) return `${Number((bytes / UNITS[unit]).toFixed(1))}${unit}`;
  }
  return `${bytes}B`;
}
