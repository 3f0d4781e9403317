// Stores that answer with promises (a real Redis), without blocking the event loop. A host call
// must answer before the guest goes on, so a call runs against a ReadCache of the values fetched
// so far; the first read of a key it lacks stops the run (StoreMiss), the key is fetched (batched
// with other calls' fetches by the store), and the call runs again from the start. Runs are
// deterministic: time, random and http answers are replayed from the call's tape, so a re-run
// takes the same path up to the new key. At the end the call's reads are checked and its writes
// applied in one atomic step (AsyncStore.commit); if a key it read has changed meanwhile, the
// call runs again on the current values (serializable), until it commits or its TIMEOUT ends.
import { performance } from "node:perf_hooks";
import type { HttpRequest, HttpResponse, KeyWrite, RecordedAnswers } from "../options.js";
import { FerriteError } from "../errors.js";
import { keyId, type Store } from "./store.js";

/** A key a call read and the value it saw (null: missing). */
export interface ReadEntry {
  key: Uint8Array;
  value: Uint8Array | null;
}

/** A keyspace whose reads and commits are asynchronous (the server's Redis store). */
export interface AsyncStore {
  readonly async: true;
  /** The values of `keys`, read together in one atomic step. */
  read(keys: Uint8Array[], timeoutMs: number): Promise<(Uint8Array | null)[]>;
  /**
   * If every read key still holds the value the call saw, applies `writes` in the same atomic step
   * and returns null. Otherwise applies nothing and returns the read keys' current values, in order.
   */
  commit(reads: ReadEntry[], writes: readonly KeyWrite[], timeoutMs: number): Promise<(Uint8Array | null)[] | null>;
  /** Throws when `keys` cannot be used together in one call (a Redis Cluster's slots). */
  checkKeys?(fn: string, keys: readonly Uint8Array[]): void;
}

export function isAsyncStore(store: Store | AsyncStore): store is AsyncStore {
  return (store as AsyncStore).async === true;
}

/** Thrown through the guest's frames when a run needs something it must wait for. */
export class Pending {}

/** The run read a key whose value has not been fetched yet. */
export class StoreMiss extends Pending {
  constructor(readonly key: Uint8Array) {
    super();
  }
}

/** The run made an http request whose answer is not on its tape yet. */
export class HttpMiss extends Pending {
  constructor(readonly request: HttpRequest) {
    super();
  }
}

/** ferrite_http answered without blocking (the server's fetch worker, asynchronously). */
export type AsyncHttp = (fn: string, request: HttpRequest, remainingMs: number) => Promise<HttpResponse>;

interface Cached {
  key: Uint8Array;
  value: Uint8Array | null;
  /** Which fetch it came from: reads from one fetch are one consistent snapshot. */
  fetch: number;
}

/** One call's view of an AsyncStore: what it has fetched, and what the current run read. */
export class ReadCache implements Store {
  readonly #values = new Map<string, Cached>();
  readonly #read = new Map<string, Cached>();
  #fetches = 0;

  get(key: Uint8Array): Uint8Array | null {
    const id = keyId(key);
    const e = this.#values.get(id);
    if (e === undefined) throw new StoreMiss(key);
    this.#read.set(id, e);
    return e.value;
  }

  exists(key: Uint8Array): boolean {
    return this.get(key) !== null;
  }

  /** The call's writes are committed by the caller, with the read check (AsyncStore.commit). */
  apply(): void {}

  /** A new run starts: it has read nothing yet. */
  startRun(): void {
    this.#read.clear();
  }

  /** Stores the values of one fetch (or of a failed commit's current values). */
  fill(keys: readonly Uint8Array[], values: readonly (Uint8Array | null)[]): void {
    const fetch = ++this.#fetches;
    keys.forEach((key, i) => this.#values.set(keyId(key), { key, value: values[i] ?? null, fetch }));
  }

  /** Keys the current run read, with the values it saw. */
  reads(): ReadEntry[] {
    return [...this.#read.values()].map(({ key, value }) => ({ key, value }));
  }

  /** Keys the current run read plus `more`. */
  readKeys(more: Uint8Array): Uint8Array[] {
    return [...[...this.#read.values()].map((e) => e.key), more];
  }

  /** Whether the current run's reads came from more than one fetch (then they must be checked). */
  get mixed(): boolean {
    let first = -1;
    for (const e of this.#read.values()) {
      if (first === -1) first = e.fetch;
      else if (e.fetch !== first) return true;
    }
    return false;
  }
}

/** What one run of the call ended with; `pending` set when it stopped to wait for something. */
export interface RunOutcome {
  ok: boolean;
  writes: readonly KeyWrite[];
  pending: Pending | null;
}

export interface AsyncCallPlan<R extends RunOutcome> {
  fn: string;
  timeoutMs: number;
  store: AsyncStore;
  http: AsyncHttp | null;
  /** Runs the call once against the cache, replaying `tape`, within `budgetMs`. */
  run(cache: ReadCache, tape: RecordedAnswers, budgetMs: number): R;
  /** Keys the call will likely read (the ones it read last time): fetched before the first run. */
  prefetch?: Uint8Array[];
  /** The outcome when the TIMEOUT ran out between runs. */
  timedOut(): R;
  /** The outcome when the store failed, the keys cannot go together, or it could not commit in time. */
  failed(error: FerriteError): R;
}

/** Longest pause between two attempts after a conflict. */
const MAX_BACKOFF_MS = 25;

/**
 * Runs a call until it commits, fails, or its TIMEOUT (which covers every run and wait) ends.
 * Returns the committed (or last) run's outcome and how many attempts it took.
 */
export async function driveAsyncCall<R extends RunOutcome>(plan: AsyncCallPlan<R>): Promise<R & { attempts: number; readKeys: Uint8Array[] }> {
  const until = performance.now() + plan.timeoutMs;
  const cache = new ReadCache();
  let tape: RecordedAnswers = { now: [], random: [], http: [] };
  let attempts = 1;
  const done = (r: R) => Object.assign(r, { attempts, readKeys: cache.reads().map((e) => e.key) });
  if (plan.prefetch?.length) {
    // A guess saves a run that would stop at the first read; a wrong guess costs one GET.
    try {
      const keys = plan.prefetch;
      const values = await Promise.all(keys.map((k) => plan.store.read([k], plan.timeoutMs)));
      keys.forEach((k, i) => cache.fill([k], values[i]));
    } catch {
      // the run will ask for what it needs and report the failure then
    }
  }
  for (;;) {
    const left = until - performance.now();
    if (left <= 0) {
      return done(attempts > 1 ? plan.failed(contention(plan.fn, attempts, plan.timeoutMs)) : plan.timedOut());
    }
    cache.startRun();
    const out = plan.run(cache, tape, left);
    const pending = out.pending;
    try {
      if (pending instanceof StoreMiss) {
        plan.store.checkKeys?.(plan.fn, cache.readKeys(pending.key));
        cache.fill([pending.key], await plan.store.read([pending.key], left));
        continue;
      }
      if (pending instanceof HttpMiss) {
        tape.http.push({ request: pending.request, response: await plan.http!(plan.fn, pending.request, left) });
        continue;
      }
      if (!out.ok) return done(out); // a failed call writes nothing: there is nothing to check
      const reads = cache.reads();
      if (out.writes.length === 0 && !cache.mixed) return done(out); // one snapshot: already consistent
      plan.store.checkKeys?.(plan.fn, [...reads.map((r) => r.key), ...out.writes.map((w) => w.key)]);
      const current = await plan.store.commit(reads, out.writes, left);
      if (current === null) return done(out);
      // A key it read has changed: run again on the current values, as a new attempt (new time,
      // random and http answers). Backoff spreads out clients that keep colliding on one key.
      cache.fill(
        reads.map((r) => r.key),
        current,
      );
      tape = { now: [], random: [], http: [] };
      attempts++;
      if (attempts > 2) await sleep(Math.min(until - performance.now(), Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** (attempts - 2))));
    } catch (e) {
      // The wait outlasted the call's own TIMEOUT: that is a timeout, whoever noticed it.
      if (!(e instanceof FerriteError && e.code !== "ERR_STORE") && performance.now() >= until - 1) {
        return done(attempts > 1 ? plan.failed(contention(plan.fn, attempts, plan.timeoutMs)) : plan.timedOut());
      }
      const error = e instanceof FerriteError ? e : new FerriteError("ERR_STORE", `function '${plan.fn}': ${(e as Error)?.message ?? String(e)}`, plan.fn);
      return done(plan.failed(error));
    }
  }
}

function contention(fn: string, attempts: number, timeoutMs: number): FerriteError {
  const text = `function '${fn}' could not commit: the keys it read kept changing under other writers (${attempts} attempts in its TIMEOUT of ${timeoutMs} ms); nothing was written. Retry, give it a longer TIMEOUT, or spread the writes over more keys`;
  return new FerriteError("ERR_CONTENTION", text, fn, { attempts, timeout_ms: timeoutMs });
}


function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
}
