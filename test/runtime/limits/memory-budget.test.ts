// The memory budget counts declared limits: the MEMORY of every loaded function added up may not
// pass it. The refusal names [wasm] memory_budget and how to get under it.
import { describe, expect, test } from "vitest";
import { createRuntime } from "../../../runtime-sim/index.js";
import { echoWat } from "../../helpers/runtime.js";

describe("memory budget", () => {
  test("a load or update past the budget is refused, naming it; replacing and unloading give memory back", async () => {
    const rt = createRuntime({ memoryBudget: "3MB" });
    await rt.load("a", echoWat, { memory: "2MB", entry: "echo" });
    const e = await rt.load("b", echoWat, { memory: "2MB", entry: "echo" }).catch((x) => x);
    expect(e.code).toBe("ERR_MEMORY_BUDGET");
    expect(e.message).toBe(
      "cannot give 'b' a memory limit of 2MB: the functions' memory limits would add up to 4MB, above [wasm] memory_budget (3MB); lower MEMORY, unload a function, or raise memory_budget",
    );
    expect(rt.list()).toEqual(["a"]);
    await rt.load("b", echoWat, { memory: "1MB", entry: "echo" }); // 3MB in all: exactly the budget
    await expect(rt.update("b", { memory: "2MB" })).rejects.toThrow(/above \[wasm\] memory_budget \(3MB\)/);
    expect(rt.info("b").memory_limit).toBe("1MB");
    await rt.load("a", echoWat, { memory: "2MB", entry: "echo", replace: true }); // a's own 2MB is not counted twice
    rt.unload("a");
    await rt.load("c", echoWat, { memory: "2MB", entry: "echo" });
    expect(rt.list()).toEqual(["b", "c"]);
  });

  test("without a budget any number of limits fits, and a budget that is not a size is refused", async () => {
    const rt = createRuntime();
    for (const n of ["a", "b", "c"]) await rt.load(n, echoWat, { memory: "4GB", entry: "echo" });
    expect(() => createRuntime({ memoryBudget: "lots" })).toThrow("invalid memory limit 'lots'");
  });
});
