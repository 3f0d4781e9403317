import { defineConfig } from "vitest/config";

// Two projects: "timing" holds the few tests that assert wall-clock bounds (a TIMEOUT stops a loop
// within a few ms); `npm test` runs it after the rest, alone, so other workers' compiles can't
// steal its core.
export default defineConfig({
  test: {
    // asc compiles take seconds; the first test to need a fixture pays for it (then it is cached on disk).
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ["test/global-setup.ts"],
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/**/*.test.ts"], exclude: ["test/**/*.timing.test.ts"], maxWorkers: 2 },
      },
      {
        extends: true,
        test: { name: "timing", include: ["test/**/*.timing.test.ts"], fileParallelism: false, maxWorkers: 1 },
      },
    ],
  },
});
