// Tests run the built module (build/hello.wasm) on the ferrite-wasm simulator, under the
// capabilities and limits ferrite.toml grants it. `ferrite-wasm test` rebuilds the module
// first when a source changed.
import { beforeAll, expect, test } from "vitest";
import { loadProject, type Project } from "ferrite-wasm/project";
import { text } from "ferrite-wasm/testing";

let project: Project;
beforeAll(async () => {
  project = await loadProject(new URL("..", import.meta.url));
});

test("greets its input", () => {
  expect(text(project.call("hello", "Ada"))).toBe("Hello, Ada!");
});

test("greets the world when called without arguments", () => {
  expect(text(project.call("hello"))).toBe("Hello, world!");
});

test("handles any UTF-8 text", () => {
  expect(text(project.call("hello", "Zoë 👋"))).toBe("Hello, Zoë 👋!");
});
