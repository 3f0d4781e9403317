// The timeout, in one place: TIMEOUT's parser, the fuel pass that makes guest code check the
// clock, the start-up budget, and the budget every blocking wait (store reads, commit, http) is
// bounded by. Instrumented guests call `__ferrite.refuel` whenever their fuel runs out; that is
// where wall-clock time is checked, so code that never returns is stopped on the main thread.
import { performance } from "node:perf_hooks";
import { errors, FerriteError } from "../errors.js";
import type { BinaryenApi, ExprRef } from "../instrument/binaryen.js";
import { HOST_MODULE, multiValue, type Pass } from "../instrument/walk.js";

/** Fuel units (about one wasm expression each) between two clock checks: ~0.1-0.5 ms of work. */
export const FUEL_STEP = 250_000;
/** Host calls between two clock checks (a guest looping on host calls spends little fuel); a power of two. */
export const HOST_CALLS_PER_CHECK = 64;
/** The longest TIMEOUT: one hour. */
export const MAX_TIMEOUT_MS = 3_600_000;
/** Start-up may take at least this long, whatever the call TIMEOUT. */
export const START_BUDGET_MS = 1000;

/** TIMEOUT: whole milliseconds, 1 to one hour. The one parser for the runtime, server, manifest and CLI. */
export function parseTimeout(value: string | number): number {
  const text = String(value);
  const ms = typeof value === "number" ? value : /^\s*[0-9]+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(ms) || ms <= 0) throw errors.invalidTimeout(text);
  if (ms > MAX_TIMEOUT_MS) {
    throw new FerriteError("ERR_TIMEOUT_INVALID", `invalid timeout '${text}' (milliseconds, at most ${MAX_TIMEOUT_MS}: one hour)`, null, { value: text });
  }
  return ms;
}

/** Start-up (the module's start function) gets its own budget: a short TIMEOUT must not fail a
 * load on a busy machine, yet a start that never ends must. */
export function startBudgetMs(timeoutMs: number): number {
  return Math.max(timeoutMs, START_BUDGET_MS);
}

/** Thrown through the guest's frames when the deadline has passed; never seen by the guest. */
export class TimeoutSignal {
  constructor(readonly elapsedMs: number) {}
}

/** What a blocking wait is told: it must give up within the call's remaining time. */
export interface WaitBudget {
  /** Milliseconds left before the call times out. */
  readonly remainingMs: number;
}

export class Deadline implements WaitBudget {
  #start = 0;
  #at = Infinity;
  #hostCalls = 0;

  begin(timeoutMs: number): void {
    this.#start = performance.now();
    this.#at = this.#start + timeoutMs;
    this.#hostCalls = 0;
  }

  /** The `__ferrite.refuel` import. */
  readonly refuel = (): number => {
    this.check();
    return FUEL_STEP;
  };

  /** Called on every host call; checks the clock every HOST_CALLS_PER_CHECK calls. */
  hostCall(): void {
    if ((++this.#hostCalls & (HOST_CALLS_PER_CHECK - 1)) === 0) this.check();
  }

  check(): void {
    const now = performance.now();
    if (now >= this.#at) throw new TimeoutSignal(now - this.#start);
  }

  /** True once the deadline has passed (a wait that failed then failed because of it). */
  get expired(): boolean {
    return performance.now() >= this.#at;
  }

  get remainingMs(): number {
    return Math.max(0, this.#at - performance.now());
  }

  get startedAt(): number {
    return this.#start;
  }
}

/** The names the fuel pass adds. */
export const FUEL = { global: "__ferrite_fuel", refuel: "__ferrite_refuel" } as const;

/**
 * The fuel pass. Each function entry and loop head subtracts its static cost from the fuel; when
 * it runs out the guest calls `__ferrite.refuel`. Fuel lives in a local of each function that has
 * a loop: a loop head costs `f -= cost; if (f < 0) f = refuel()`, all in registers. The global
 * holds it across calls: flushed before a call into guest code and at every exit, reloaded after.
 * (A global-only counter cost 2.3x on a tight loop.) Loop-free functions spend the global at
 * entry, so calls between them cost no hand-over (json-as code is mostly small loop-free calls).
 */
export function fuelPass(): Pass {
  let labels = 0;
  return {
    setup(m) {
      const { mod } = m;
      const { i32, none } = m.api.b;
      mod.addGlobal(FUEL.global, i32, true, mod.i32.const(0));
      mod.addFunctionImport(FUEL.refuel, HOST_MODULE, "refuel", none, i32);
      m.resets.push(mod.global.set(FUEL.global, mod.i32.const(FUEL_STEP)));
    },
    visit(f, m) {
      const { api, mod, report } = m;
      const { b } = api;
      const { i32 } = b;
      const local = hasLoop(m.api, f.body);
      const fuel = f.local();
      const flush = () => mod.global.set(FUEL.global, mod.local.get(fuel, i32));
      const reload = () => mod.local.set(fuel, mod.global.get(FUEL.global, i32));
      const costs: number[] = [0];
      return {
        enter() {
          costs.push(0);
        },
        leave(e, kind) {
          const cost = 1 + costs.pop()!;
          let out = e;
          let paid = cost;
          if (kind === "Loop") {
            // The refuel call sits outside the loop: a call inside it costs V8 its register
            // allocation (2.4x on a tight loop instead of 1.4x). On empty, the loop exits to
            // $refill, refuels and starts again at its head, which is where it was: loops carry
            // their state in locals, and the check is the first thing in the body.
            report.loops++;
            const n = labels++;
            const [refill, retry, exit] = [`__ferrite_refill${n}`, `__ferrite_retry${n}`, `__ferrite_exit${n}`];
            const spend = mod.local.tee(fuel, mod.i32.sub(mod.local.get(fuel, i32), mod.i32.const(cost)), i32);
            api.set("Loop", "Body", e, mod.block(null, [mod.br(refill, mod.i32.lt_s(spend, mod.i32.const(0))), api.get("Loop", "Body", e)]));
            const type = b.getExpressionType(e);
            const leave = type === b.none ? mod.block(refill, [e, mod.br(exit)]) : type === b.unreachable ? mod.block(refill, [e]) : mod.block(refill, [mod.br(exit, 0, e)]);
            const again = mod.loop(retry, mod.block(null, [leave, mod.local.set(fuel, mod.call(FUEL.refuel, [], i32)), mod.br(retry)]));
            out = type === b.unreachable ? mod.block(exit, [again]) : mod.block(exit, [again], type);
            paid = 1; // each iteration pays for itself
          } else if (local && (kind === "Call" || kind === "CallIndirect") && !(kind === "Call" && m.imports.has(api.callTarget(e)))) {
            // Host calls spend no fuel; guest calls hand it over: operands first, then flush, call, reload.
            if (api.isReturnCall(kind, e)) out = mod.block(null, [flush(), e]);
            else {
              const type = b.getExpressionType(e);
              if (type === b.none) out = mod.block(null, [flush(), e, reload()]);
              else if (type === b.unreachable) out = mod.block(null, [flush(), e]);
              else {
                if (b.expandType(type).length !== 1) throw multiValue(f.name);
                const t = f.temp(type);
                out = mod.block(null, [flush(), mod.local.set(t, e), reload(), mod.local.get(t, type)], type);
              }
            }
          } else if (local && kind === "Return") {
            const value = api.get("Return", "Value", e);
            if (!value) out = mod.block(null, [flush(), e]);
            else api.set("Return", "Value", e, f.keep(value, [flush()]));
          }
          costs[costs.length - 1] += paid;
          return out;
        },
        body(body) {
          const cost = costs[0];
          const refuel = (): ExprRef => mod.call(FUEL.refuel, [], i32);
          if (local) {
            const entry = mod.block(null, [
              mod.local.set(fuel, mod.i32.sub(mod.global.get(FUEL.global, i32), mod.i32.const(cost))),
              mod.if(mod.i32.lt_s(mod.local.get(fuel, i32), mod.i32.const(0)), mod.local.set(fuel, refuel())),
            ]);
            return mod.block(null, [entry, f.keep(body, [flush()])]);
          }
          const entry = mod.block(null, [
            mod.global.set(FUEL.global, mod.local.tee(fuel, mod.i32.sub(mod.global.get(FUEL.global, i32), mod.i32.const(cost)), i32)),
            mod.if(mod.i32.lt_s(mod.local.get(fuel, i32), mod.i32.const(0)), mod.global.set(FUEL.global, refuel())),
          ]);
          return mod.block(null, [entry, body]);
        },
      };
    },
  };
}

function hasLoop(api: BinaryenApi, e: ExprRef): boolean {
  const kind = api.kindName(e);
  if (kind === "Loop") return true;
  if (!api.isVisited(kind)) return false;
  let found = false;
  api.eachChild(kind, e, (child) => {
    found ||= hasLoop(api, child);
    return child;
  });
  return found;
}
