import { defineConfig } from "vitest/config";

// Two projects: "timing" holds the few tests that assert wall-clock bounds (a TIMEOUT stops a loop
// within a few ms); `npm test` runs it after the rest, alone, so other workers' compiles can't
// steal its core.
export default defineConfig({
  test: {
    // asc compiles take seconds, and many on a busy 2-core machine; the first test to need a fixture
    // pays for it (then it is cached on disk). These bound a hang, not a speed: no cold start may hit them.
    testTimeout: 180_000,
    hookTimeout: 300_000,
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
