// Options are parsed once: parseCapabilities, parseMemoryLimit and parseTimeout decide for the
// runtime, the server's config, ferrite.toml and the CLI's flags alike, so they cannot disagree.
import { describe, expect, test } from "vitest";
import { createRuntime, parseCapabilities, parseMemoryLimit, parseTimeout } from "../../runtime-sim/index.js";
import { configSchema } from "../../server/config/schema.js";
import { parseManifest } from "../../cli/project/manifest.js";
import { capabilityList, memoryLimit, timeoutMs } from "../../cli/shared/options.js";
import { echoWat } from "../helpers/runtime.js";

const manifest = (line: string) => () => parseManifest(`[functions.f]\nsource = "a.ts"\n${line}\n`, "/p/ferrite.toml");
const config = (wasm: Record<string, unknown>) => configSchema.safeParse({ wasm }).success;

describe("TIMEOUT", () => {
  test.each([["1", 1], [1000, 1000], ["3600000", 3_600_000]])("%s is accepted everywhere", async (value, ms) => {
    expect(parseTimeout(value)).toBe(ms);
    expect(timeoutMs(String(value))).toBe(ms);
    expect(config({ default_timeout_ms: ms })).toBe(true);
    expect(manifest(`timeout_ms = ${ms}`)().functions[0].timeoutMs).toBe(ms);
    const rt = createRuntime();
    await expect(rt.load("echo", echoWat, { timeoutMs: ms })).resolves.toMatchObject({ timeout_ms: ms });
  });

  test.each([0, -5, 1.5, 3_600_001])("%s is refused everywhere", async (ms) => {
    expect(() => parseTimeout(ms)).toThrow(/^invalid timeout/);
    expect(() => timeoutMs(String(ms))).toThrow(/is not a timeout/);
    expect(config({ default_timeout_ms: ms })).toBe(false);
    expect(manifest(`timeout_ms = ${ms}`)).toThrow(/timeout_ms/);
    await expect(createRuntime().load("echo", echoWat, { timeoutMs: ms })).rejects.toThrow(/invalid timeout/);
  });

  test("text that is not whole milliseconds is refused", () => {
    for (const text of ["soon", "", "1e3", "10ms", "0x10"]) expect(() => parseTimeout(text)).toThrow(`invalid timeout '${text}'`);
    expect(() => parseTimeout("3600001")).toThrow("invalid timeout '3600001' (milliseconds, at most 3600000: one hour)");
  });
});

describe("MEMORY and capabilities", () => {
  test("a memory limit means the same everywhere", () => {
    expect(parseMemoryLimit("2MB")).toBe(2 * 1024 * 1024);
    expect(memoryLimit("2MB")).toBe("2MB");
    expect(manifest(`memory = "2MB"`)().functions[0].memoryBytes).toBe(2 * 1024 * 1024);
    expect(config({ default_memory_limit: "2MB", memory_budget: "1GB" })).toBe(true);
    for (const bad of ["2XB", "5GB"]) {
      expect(() => parseMemoryLimit(bad)).toThrow(`invalid memory limit '${bad}'`);
      expect(() => memoryLimit(bad)).toThrow(/is not a memory limit/);
      expect(manifest(`memory = "${bad}"`)).toThrow(/memory/);
      expect(config({ default_memory_limit: bad })).toBe(false);
      expect(config({ memory_budget: bad })).toBe(false);
    }
  });

  test("capability names: case-insensitive, 'all' where all may stand", () => {
    expect(parseCapabilities(["READ", "log"])).toEqual(["read", "log"]);
    expect(capabilityList("READ,log")).toEqual(["read", "log"]);
    expect(manifest(`capabilities = ["READ", "all"]`)().functions[0].capabilities).toEqual(["read", "all"]);
    expect(configSchema.parse({ wasm: { capabilities: { default: ["READ"], allowed: ["read", "Log"] } } }).wasm.capabilities).toEqual({ default: ["read"], allowed: ["read", "log"] });
    expect(config({ capabilities: { allowed: ["all"] } })).toBe(false); // allowed lists real capabilities
    expect(() => parseCapabilities(["teleport"])).toThrow("unknown capability 'teleport'");
    expect(() => capabilityList("teleport")).toThrow(/'teleport' is not a capability/);
    expect(manifest(`capabilities = ["teleport"]`)).toThrow(/'teleport' is not one of/);
    expect(config({ capabilities: { default: ["teleport"] } })).toBe(false);
  });
});
