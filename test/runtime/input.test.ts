// The input reaches the guest exactly, whichever way the host writes it: a short ASCII argument is
// copied by hand, anything else through the UTF-8 encoder; replies are safe to hold.
import { describe, expect, test } from "vitest";
import { createRuntime } from "../../runtime-sim/index.js";
import { echoWat } from "../helpers/runtime.js";

describe("input and reply bytes", () => {
  test.each([
    ["empty", ""],
    ["ASCII", "0123456789abcdef"],
    ["non-ASCII first", "é, then ASCII"],
    ["non-ASCII last", "ASCII, then ü"],
    ["emoji", "🦀 rust"],
    ["64 ASCII characters", "a".repeat(64)],
    ["65 ASCII characters", "b".repeat(65)],
    ["64 characters, one of them not ASCII", "c".repeat(63) + "ß"],
  ])("%s arrives as its UTF-8 bytes", async (_what, text) => {
    const rt = createRuntime();
    await rt.load("echo", echoWat);
    const value = rt.call("echo", [text]).value;
    expect(Buffer.from(value ?? new Uint8Array(0)).toString("utf8")).toBe(text);
    expect(rt.call("echo", [Buffer.from(text)]).value ?? new Uint8Array(0)).toEqual(new Uint8Array(Buffer.from(text)));
  });

  test("replies held across many calls keep their bytes", async () => {
    const rt = createRuntime();
    await rt.load("echo", echoWat);
    const held = Array.from({ length: 20_000 }, (_, i) => rt.call("echo", [`reply ${i}`]).value!);
    held.forEach((v, i) => expect(Buffer.from(v).toString()).toBe(`reply ${i}`));
    const big = "x".repeat(10_000);
    expect(Buffer.from(rt.call("echo", [big]).value!).toString()).toBe(big);
  });
});
