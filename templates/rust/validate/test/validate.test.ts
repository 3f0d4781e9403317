// Tests run the built module (build/validate.wasm) on the ferrite-wasm simulator, under the
// capabilities and limits ferrite.toml grants it. `ferrite-wasm test` rebuilds it first when
// a source changed.
import { beforeAll, describe, expect, test } from "vitest";
import { loadProject, type Project } from "ferrite-wasm/project";
import { json } from "ferrite-wasm/testing";

let project: Project;
beforeAll(async () => {
  project = await loadProject(new URL("..", import.meta.url));
});

const validate = (email: unknown) => json<{ valid: boolean }>(project.call("validate", JSON.stringify({ email })));

describe("validate", () => {
  test("accepts a plain address", () => {
    expect(validate("ada@example.com")).toEqual({ valid: true });
    expect(validate("first.last+tag@mail.example.org")).toEqual({ valid: true });
  });

  test("rejects addresses without a local part, an @ or a dotted domain", () => {
    for (const email of ["", "ada", "@example.com", "ada@", "ada@example", "ada@example.", "ada@.com", "a@b@example.com", "ada lovelace@example.com"]) {
      expect(validate(email), email).toEqual({ valid: false });
    }
  });

  test("takes the spec's call shape: one JSON argument", () => {
    const result = project.call("validate", '{"email": "test@example.com"}');
    expect(result.ok).toBe(true);
    expect(Buffer.from(result.value!).toString()).toBe('{"valid":true}');
  });

  test("input that is not JSON fails the call and writes nothing", () => {
    const result = project.call("validate", "not json");
    expect(result.ok).toBe(false);
    expect(result.writes).toEqual([]);
  });

  test("runs with no capabilities at all (least privilege)", () => {
    expect(project.rt.info("validate").capabilities).toEqual([]);
  });
});
