// A Redis Cluster's slot map, as CLUSTER SLOTS gives it, and the MOVED/ASK redirections that correct
// it. Redis's rule for an endpoint: an empty (or null) host means "the node you asked" (a node that
// never met another does not know its own address: a one-node cluster answers with ""); "?" means
// unknown, and such slots are left out.
import type { RawBytes } from "./raw-connection.js";

export const SLOTS = 16384;

export interface SlotRange {
  start: number;
  end: number;
  /** The master's address, "host:port"; an empty host is already the asked node's. */
  node: string;
  id: string;
  /** CLUSTER SLOTS gave no host: the master is the node that was asked. */
  unknownHost: boolean;
}

const text = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString("latin1") : v == null ? "" : String(v));

/** "host:port", with IPv6 hosts in brackets so the port stays apart. */
export function nodeKey(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

export function splitNode(node: string): { host: string; port: number } {
  const i = node.lastIndexOf(":");
  return { host: node.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(node.slice(i + 1)) };
}

/** The masters of a decoded CLUSTER SLOTS reply asked of `askedHost`. */
export function slotRanges(reply: unknown, askedHost: string): SlotRange[] {
  const out: SlotRange[] = [];
  if (!Array.isArray(reply)) return out;
  for (const r of reply) {
    if (!Array.isArray(r) || !Array.isArray(r[2])) continue;
    const [host, port, id] = r[2] as unknown[];
    const h = text(host);
    if (h === "?") continue;
    out.push({ start: Number(r[0]), end: Number(r[1]), node: nodeKey(h || askedHost, Number(port)), id: text(id), unknownHost: h === "" });
  }
  return out;
}

/** Each slot's master, from the ranges. */
export function slotTable(ranges: readonly SlotRange[]): (string | undefined)[] {
  const slots = new Array<string | undefined>(SLOTS).fill(undefined);
  for (const r of ranges) for (let s = Math.max(0, r.start); s <= Math.min(SLOTS - 1, r.end); s++) slots[s] = r.node;
  return slots;
}

export interface Redirect {
  ask: boolean;
  slot: number;
  node: string;
}

const MOVED = Buffer.from("-MOVED ");
const ASK = Buffer.from("-ASK ");

/** A raw `-MOVED slot host:port` or `-ASK slot host:port` reply sent by `from`, or null. */
export function redirection(raw: RawBytes, from: string): Redirect | null {
  const ask = raw.subarray(0, ASK.length).equals(ASK);
  if (!ask && !raw.subarray(0, MOVED.length).equals(MOVED)) return null;
  const m = /^-(?:MOVED|ASK) (\d+) (.*):(\d+)\r\n$/.exec(raw.toString("latin1"));
  if (!m) return null;
  const host = m[2].replace(/^\[|\]$/g, "") || splitNode(from).host;
  return { ask, slot: Number(m[1]), node: nodeKey(host, Number(m[3])) };
}
