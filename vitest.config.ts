import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Generous: they only catch hangs, and tests that spawn processes slow down on a loaded machine.
    testTimeout: 90_000,
    hookTimeout: 180_000,
    // Each file gets its own database; files run in parallel on the two cores.
    pool: "forks",
    // CI reads its pass/fail counts from this file (see .ci/run); its runs under faketime name their own.
    reporters: ["default", ["json", { outputFile: process.env.VITEST_JSON_REPORT || "test-results/vitest.json" }]],
  },
});
