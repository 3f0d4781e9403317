// Tests run the built module (build/transform_user.wasm) on the ferrite-wasm simulator, under
// the capabilities and limits ferrite.toml grants it, with a clock that only moves when told.
// `ferrite-wasm test` rebuilds the module first when a source changed.
import { beforeAll, describe, expect, test } from "vitest";
import { loadProject, type Project } from "ferrite-wasm/project";
import { json, manualClock } from "ferrite-wasm/testing";

const clock = manualClock(Date.UTC(2026, 0, 1)); // 1767225600000
let project: Project;
beforeAll(async () => {
  project = await loadProject(new URL("..", import.meta.url), { clock });
});

const transform = (user: object) => json(project.call("transform_user", JSON.stringify(user)));

describe("transform_user", () => {
  test("builds full_name, lower-cases the email and stamps created_at from the host clock", () => {
    expect(transform({ id: 7, first_name: "Ada", last_name: "Lovelace", email: "Ada@Example.COM" })).toEqual({
      id: 7,
      full_name: "Ada Lovelace",
      email: "ada@example.com",
      created_at: Date.UTC(2026, 0, 1),
    });
  });

  test("created_at follows the clock", () => {
    clock.advance(90_000);
    expect(transform({ id: 1 })).toMatchObject({ created_at: Date.UTC(2026, 0, 1) + 90_000 });
  });

  test("field order does not matter, unknown fields are dropped, missing ones are empty", () => {
    const out = transform({ email: " Grace@Navy.MIL ", extra: { nested: [1, 2] }, first_name: "Grace", id: 42 });
    expect(out).toMatchObject({ id: 42, full_name: "Grace", email: "grace@navy.mil" });
    expect(Object.keys(out as object)).toEqual(["id", "full_name", "email", "created_at"]);
  });

  test("keeps non-ASCII text intact", () => {
    expect(transform({ id: 3, first_name: "Zoë", last_name: "Ångström", email: "ZOË@EXAMPLE.SE" })).toMatchObject({
      full_name: "Zoë Ångström",
      email: "zoë@example.se",
    });
  });

  test("input that is not a JSON object fails the call", () => {
    const result = project.call("transform_user", "[1, 2]");
    expect(result.ok).toBe(false);
    expect(result.error?.message).toMatch(/JSON/);
  });

  test("is granted only the clock", () => {
    expect(project.rt.info("transform_user").capabilities).toEqual(["time"]);
  });
});
