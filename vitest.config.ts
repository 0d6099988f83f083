import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/cases/**/*.test.ts"],
    pool: "forks",
  },
});
