// Redis globs: the general matcher against redis-server's own answers (KEYS), and the compiled form
// used for users' and functions' key patterns, which must agree with it on every shape.
import { describe, expect, test } from "vitest";
import { compileGlob, globMatch } from "../../../runtime-sim/host.js";

const KEYS = ["user:1", "user:", "user", "users:1", "User:1", "billing:1", "", "a*b", "a?b", "a[b", "a\\b", "ab", "acb", "user:1:x", "\u00ff"];
const PATTERNS = ["user:*", "user:1", "*", "u*r:?", "user?1", "a\\*b", "a\\?b", "a[bc]b", "a[^b]b", "a[a-c]b", "*:1", "", "user:**", "\\u*"];

describe("Redis globs", () => {
  test("the general matcher's answers on Redis's own cases", () => {
    expect(globMatch("user:*", "user:1")).toBe(true);
    expect(globMatch("user:*", "users:1")).toBe(false);
    expect(globMatch("h?llo", "hallo")).toBe(true);
    expect(globMatch("h[^e]llo", "hello")).toBe(false);
    expect(globMatch("h[a-b]llo", "hbllo")).toBe(true);
    expect(globMatch("a\\*b", "a*b")).toBe(true);
    expect(globMatch("a\\*b", "axb")).toBe(false);
  });

  test("compiled patterns agree with the general matcher on every pattern and key", () => {
    for (const p of PATTERNS) {
      const m = compileGlob(p);
      for (const k of KEYS) expect([p, k, m(k)]).toEqual([p, k, globMatch(p, k)]);
    }
  });
});
