// Triggers: a key command's write that matches a trigger first calls the trigger's function with
// (event, key, new value); if the call fails, the write is refused with the function's error and
// nothing changes. Writes a function makes through ferrite_set/ferrite_del go to the store directly,
// not through key commands, so they never fire triggers (no loops). Semantics: docs/commands.md.
import { FerriteError, type CallResult, type Runtime, type Store } from "../runtime-sim/index.js";
import type { AsyncStore } from "../runtime-sim/host.js";
import { globMatch } from "../runtime-sim/host.js";
import { SERVER_KEYS } from "./acl/reserved.js";
import type { Keyspace } from "./store/keyspace.js";
import type { Client, Logger } from "./context.js";
import type { Observability } from "./observability/index.js";
import { WRITE_EVENTS, type PendingWrite, type TriggerEvent, type ValueReader } from "./trigger-events.js";

const NO_OPTIONS = {};

/** What TRIGGER.CREATE defines and data_dir keeps. */
export interface TriggerDef {
  name: string;
  /** A Redis glob over keys ("user:*"). */
  pattern: string;
  events: TriggerEvent[];
  /** The function ACTION CALL names. */
  function: string;
  enabled: boolean;
  created_at: string;
}

export interface TriggerInfo extends TriggerDef {
  executions: number;
  errors: number;
  last_execution: string | null;
  last_error: string | null;
}

interface Trigger {
  def: TriggerDef;
  executions: number;
  errors: number;
  lastExecution: number | null;
  lastError: string | null;
}

/** Where definitions are saved (data_dir), or nothing. */
export type SaveTriggers = (defs: TriggerDef[]) => Promise<void>;

export class Triggers {
  readonly #triggers = new Map<string, Trigger>(); // creation order = firing order
  #enabled = 0;
  #saving: Promise<void> = Promise.resolve();

  constructor(
    readonly runtime: Runtime,
    readonly keyspace: Keyspace,
    readonly save: SaveTriggers | null,
    readonly log: Logger,
    readonly clock: () => number = Date.now,
    /** Sees each trigger's call (logs, slow log, flight recorder, metrics). */
    readonly observe: Observability | null = null,
  ) {}

  restore(defs: TriggerDef[]): void {
    for (const def of defs) this.#triggers.set(def.name, fresh(def));
    this.#count();
  }

  /** Takes the definitions another server changed (a shared Redis store); counters stay per server. */
  sync(defs: TriggerDef[]): void {
    const old = new Map(this.#triggers);
    this.#triggers.clear();
    for (const def of defs) {
      const t = old.get(def.name) ?? fresh(def);
      t.def = def;
      this.#triggers.set(def.name, t);
    }
    this.#count();
  }

  create(def: Omit<TriggerDef, "enabled" | "created_at">): Promise<void> {
    if (this.#triggers.has(def.name)) {
      throw new FerriteError("ERR_TRIGGER_EXISTS", `trigger '${def.name}' already exists; TRIGGER.DELETE it first`, null, { trigger: def.name });
    }
    if (!this.runtime.has(def.function)) {
      throw new FerriteError("ERR_UNKNOWN_FUNCTION", `unknown function '${def.function}'; load it with WASM.LOAD before creating a trigger that calls it`, def.function);
    }
    this.#triggers.set(def.name, fresh({ ...def, enabled: true, created_at: new Date(this.clock()).toISOString() }));
    return this.#changed();
  }

  delete(name: string): Promise<void> {
    this.#get(name);
    this.#triggers.delete(name);
    return this.#changed();
  }

  setEnabled(name: string, enabled: boolean): Promise<void> {
    this.#get(name).def.enabled = enabled;
    return this.#changed();
  }

  /** Every definition, in creation order. */
  definitions(): TriggerDef[] {
    return [...this.#triggers.values()].map((t) => ({ ...t.def, events: [...t.def.events] }));
  }

  /** Trigger names in creation order, optionally filtered by a glob over names. */
  list(pattern?: string): string[] {
    const names = [...this.#triggers.keys()];
    return pattern === undefined ? names : names.filter((n) => globMatch(pattern, n));
  }

  info(name: string): TriggerInfo {
    const t = this.#get(name);
    return {
      ...t.def,
      events: [...t.def.events],
      executions: t.executions,
      errors: t.errors,
      last_execution: t.lastExecution === null ? null : new Date(t.lastExecution).toISOString(),
      last_error: t.lastError,
    };
  }

  /** Whether `command` could fire an enabled trigger (then a Redis store cannot run it alone in a transaction). */
  wouldFire(command: string): boolean {
    return this.#enabled > 0 && WRITE_EVENTS.has(command);
  }

  /**
   * Runs before a key command: null when the write may go ahead, the refusal's reply text when a
   * trigger's function failed, or a promise of either when the keyspace answers asynchronously.
   */
  check(command: string, args: Buffer[], client: Client | null = null, keyspace: ValueReader = this.keyspace, store?: Store | AsyncStore): string | null | Promise<string | null> {
    if (this.#enabled === 0) return null;
    const extract = WRITE_EVENTS.get(command);
    if (!extract) return null;
    const writes = extract(args, keyspace);
    return writes instanceof Promise ? writes.then((w) => this.#fire(w, args, client, store)) : this.#fire(writes, args, client, store);
  }

  /** Every matching enabled trigger, for every write, in order; the first failure refuses them all. */
  #fire(writes: PendingWrite[], command: Buffer[], client: Client | null, store: Store | AsyncStore | undefined): string | null | Promise<string | null> {
    const due: [Trigger, Uint8Array[]][] = [];
    for (const w of writes) {
      const key = w.key.toString("latin1");
      for (const t of this.#triggers.values()) {
        if (!t.def.enabled || !t.def.events.includes(w.event) || !globMatch(t.def.pattern, key)) continue;
        const args: Uint8Array[] = [Buffer.from(w.event), w.key];
        if (w.value !== null) args.push(w.value);
        due.push([t, args]);
      }
    }
    if (due.length === 0) return null;
    // The function runs with the key permissions of the user whose write fired it.
    const base = this.observe?.callOptions(false);
    let options = client !== null && !client.acl.allKeys ? client.acl.callOptions(base ?? NO_OPTIONS) : this.runtime.asyncStore !== null ? SERVER_KEYS.callOptions(base ?? NO_OPTIONS) : base;
    // Fired from a client in another database: the function reads and writes that one.
    if (store !== undefined) options = { ...options, store };
    if (this.runtime.asyncStore === null) {
      for (const [t, args] of due) {
        const refused = this.#done(t, this.runtime.call(t.def.function, args, options), command, client);
        if (refused !== null) return refused;
      }
      return null;
    }
    // Over a Redis store calls wait without blocking; triggers still run one after another.
    return (async () => {
      for (const [t, args] of due) {
        const refused = this.#done(t, await this.runtime.callAsync(t.def.function, args, options), command, client);
        if (refused !== null) return refused;
      }
      return null;
    })();
  }

  #done(t: Trigger, r: CallResult, command: Buffer[], client: Client | null): string | null {
    this.observe?.called(t.def.function, r, { command, client, via: `trigger ${t.def.name}` });
    t.executions++;
    t.lastExecution = this.clock();
    if (r.ok) return null;
    t.errors++;
    const reply = r.error?.reply ?? `ERR function '${t.def.function}' failed`;
    t.lastError = reply;
    return `${reply} (write refused by trigger '${t.def.name}')`;
  }

  #get(name: string): Trigger {
    const t = this.#triggers.get(name);
    if (!t) throw new FerriteError("ERR_UNKNOWN_TRIGGER", `no such trigger '${name}'; TRIGGER.LIST shows the existing ones`, null, { trigger: name });
    return t;
  }

  #count(): void {
    this.#enabled = 0;
    for (const t of this.#triggers.values()) if (t.def.enabled) this.#enabled++;
  }

  /** Saves in order; a failure is reported but the change stays in effect. */
  #changed(): Promise<void> {
    this.#count();
    const save = this.save;
    if (!save) return Promise.resolve();
    const defs = [...this.#triggers.values()].map((t) => ({ ...t.def, events: [...t.def.events] }));
    const run = this.#saving.then(() => save(defs));
    this.#saving = run.catch(() => {});
    return run.catch((e) => {
      const message = `the trigger change was applied but could not be saved to data_dir (${(e as Error).message}); it will be lost on restart`;
      this.log("error", message);
      throw new FerriteError("ERR_PERSIST", message);
    });
  }

  /** Resolves when pending saves are done (shutdown). */
  idle(): Promise<void> {
    return this.#saving;
  }
}

function fresh(def: TriggerDef): Trigger {
  return { def, executions: 0, errors: 0, lastExecution: null, lastError: null };
}
