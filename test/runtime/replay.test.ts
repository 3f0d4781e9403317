// A failed call recorded with `record: true` runs again, exactly, on another runtime: the keyspace
// seeded with what it read, time/random/http answered from what it got.
import { describe, expect, test } from "vitest";
import { createRuntime, replayFailedCall, type RecordedCall } from "../../runtime-sim/index.js";
import { failedCallFromJSON, failedCallToJSON } from "../../runtime-sim/host.js";
import { MemoryStore } from "../../runtime-sim/index.js";
import { manualClock, seededRandom, text } from "../../runtime-sim/testing.js";
import { buildFixture } from "../helpers/asc.js";

const SHARE_CAPS = ["read", "time", "random", "log"] as const;

async function shareServer(count: string) {
  const share = await buildFixture("share");
  const store = new MemoryStore();
  store.set("n", count);
  const clock = manualClock(Date.UTC(2026, 10, 24, 1, 2, 3));
  const rt = createRuntime({ store, clock, random: seededRandom(7) });
  await rt.load("share", share.wasm, { capabilities: [...SHARE_CAPS] });
  return { rt, store, clock, share };
}

/** Through JSON and back, as a server sends it and a saved test embeds it. */
function roundTrip(record: RecordedCall, error: { code: string; message: string }) {
  return failedCallFromJSON(JSON.parse(JSON.stringify(failedCallToJSON(record, { id: "1-1", version: 3, durationMs: 0.5, error }))));
}

describe("recording a call", () => {
  test("a failed call hands back its arguments, reads, time and random answers, and module hash", async () => {
    const { rt } = await shareServer("0");
    const r = rt.call("share", ["n"], { record: true });
    expect(r.error!.code).toBe("ERR_TRAP");
    const rec = r.recorded!;
    expect(rec.function).toBe("share");
    expect(rec.entry).toBe("share");
    expect(rec.sha256).toBe(rt.info("share").sha256);
    expect(rec.args.map((a) => Buffer.from(a).toString())).toEqual(["n"]);
    expect(rec.reads).toEqual([{ key: new Uint8Array(Buffer.from("n")), value: new Uint8Array(Buffer.from("0")) }]);
    expect(rec.answers.now).toEqual([Date.UTC(2026, 10, 24, 1, 2, 3)]);
    expect(rec.answers.random).toHaveLength(1);
    expect(rec.answers.random[0]).toBeGreaterThanOrEqual(0);
    expect(rec.capabilities).toEqual([...SHARE_CAPS]);
    // read after the call, less its duration: the clock here stands still
    expect(Date.UTC(2026, 10, 24, 1, 2, 3) - rec.time).toBeGreaterThanOrEqual(0);
    expect(Date.UTC(2026, 10, 24, 1, 2, 3) - rec.time).toBeLessThanOrEqual(Math.ceil(r.durationMs));
  });

  test("a successful call, or a call without `record`, builds nothing", async () => {
    const { rt, store } = await shareServer("0");
    expect(rt.call("share", ["n"]).recorded).toBeUndefined();
    store.set("n", "4");
    const ok = rt.call("share", ["n"], { record: true });
    expect(ok.ok).toBe(true);
    expect(ok.recorded).toBeUndefined();
    // and the next failed call's record holds only its own reads
    store.set("n", "0");
    expect(rt.call("share", ["n"], { record: true }).recorded!.reads).toHaveLength(1);
  });

  test("existence checks, deletes and reads after the call's own writes are told apart", async () => {
    const keys = await buildFixture("keys");
    const store = new MemoryStore();
    store.set("a", "A");
    store.set("c", "C");
    const rt = createRuntime({ store });
    await rt.load("keys", keys.wasm, { capabilities: ["read", "write", "delete"] });
    const r = rt.call("keys", ["exists", "a", "del", "b", "get", "c", "set", "d", "D", "get", "d", "boom", "x"], { record: true });
    expect(r.error!.message).toMatch(/unknown operation 'boom'/);
    const reads = r.recorded!.reads.map((x) => ("exists" in x ? [Buffer.from(x.key).toString(), x.exists] : [Buffer.from(x.key).toString(), x.value && Buffer.from(x.value).toString()]));
    // d was written by the call itself before it read it: that read never reached the store
    expect(reads).toEqual([["a", true], ["b", false], ["c", "C"]]);
  });
});

describe("replayFailedCall", () => {
  test("the same module fails the same way, with the trap's source line, though the keyspace has changed since", async () => {
    const { rt, store, share } = await shareServer("0");
    const failed = rt.call("share", ["n"], { record: true });
    store.set("n", "5"); // the live data moved on: a plain re-run would succeed
    expect(rt.call("share", ["n"]).ok).toBe(true);

    const json = roundTrip(failed.recorded!, failed.error!);
    const home = createRuntime(); // another machine: its own empty store, live clock and random
    await home.load("share", share.wasm, { capabilities: json.capabilities, memory: json.memory_limit_bytes, timeoutMs: json.timeout_ms, sourceMap: share.sourceMap });
    const again = replayFailedCall(home, json);
    expect(again.error!.code).toBe("ERR_TRAP");
    expect(again.error!.message).toMatch(/^function 'share' trapped: divide by zero at test\/fixtures\/share\.ts:16:\d+$/);
    expect(again.logs.map((l) => l.message)).toEqual(["count 0"]);
  });

  test("time and random come from the record, so a changed input replays on the recorded answers", async () => {
    const { rt } = await shareServer("0");
    const failed = rt.call("share", ["n"], { record: true });
    const json = failedCallToJSON(failed.recorded!, { durationMs: 1, error: failed.error! });
    json.reads = [{ key: "n", value: "4" }]; // as if the function had been given a good count
    const home = createRuntime({ clock: () => 0, random: () => 0.999 });
    await home.load("share", (await buildFixture("share")).wasm, { capabilities: [...SHARE_CAPS] });
    const r = replayFailedCall(home, json);
    expect(text(r)).toBe(`250 ${Date.UTC(2026, 10, 24, 1, 2, 3)} ${Math.floor(failed.recorded!.answers.random[0] * 1000)}`);
  });

  test("http answers come from the record; a request the call did not make gets status 0 and says why", async () => {
    const http = await buildFixture("http");
    const rt = createRuntime({ httpAllowedHosts: ["api.example.com"] });
    await rt.load("httpCall", http.wasm, { capabilities: ["http"] });
    const request = { method: "POST", url: "https://api.example.com/echo", headers: { "content-type": "application/json" }, body: '{"hello":"world"}' };
    const answers = { now: [], random: [], http: [{ request, response: { status: 201, headers: { x: "1" }, body: "recorded" } }] };
    expect(JSON.parse(text(rt.call("httpCall", [], { answers }))!)).toMatchObject({ status: 201, body: "recorded" });
    const other = JSON.parse(text(rt.call("httpCall", ["https://api.example.com/other"], { answers }))!);
    expect(other.status).toBe(0);
    expect(other.error).toMatch(/the recorded call made no request POST https:\/\/api\.example\.com\/other/);
  });

  test("a record that is not one is refused with the field that is wrong", async () => {
    const rt = createRuntime();
    expect(() => replayFailedCall(rt, { format: "something else" })).toThrow(/not a ferrite-wasm failed-call record: format is "something else"/);
    expect(() => replayFailedCall(rt, { format: "ferrite-wasm/failed-call@1", function: "f" })).toThrow(/'sha256' must be a string/);
  });

  test("binary arguments and values survive the JSON form", async () => {
    const keys = await buildFixture("keys");
    const store = new MemoryStore();
    const bin = new Uint8Array([0, 255, 10, 13]);
    store.set("b", bin);
    const rt = createRuntime({ store });
    await rt.load("keys", keys.wasm, { capabilities: ["read"] });
    const failed = rt.call("keys", ["getBytes", "b", new Uint8Array([0xff, 0xfe]), "x"], { record: true });
    expect(failed.ok).toBe(false);
    const json = failedCallToJSON(failed.recorded!, { durationMs: 0, error: failed.error! });
    expect(json.args[2]).toEqual({ base64: Buffer.from([0xff, 0xfe]).toString("base64") });
    expect(json.reads[0]).toEqual({ key: "b", value: { base64: Buffer.from(bin).toString("base64") } });
    const home = createRuntime();
    await home.load("keys", keys.wasm, { capabilities: ["read"] });
    expect(replayFailedCall(home, JSON.parse(JSON.stringify(json))).error!.message).toBe(failed.error!.message);
  });
});
