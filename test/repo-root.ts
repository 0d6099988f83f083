/**
 * The repository's root, with a trailing slash. Fixtures run on Node as
 * esbuild bundles in build/NAME/ (test/bundle.ts), one level deep like
 * test/, so the same `..` lands in build/ there: step out of it.
 */
const up = decodeURIComponent(new URL("..", import.meta.url).pathname);

export const repoRoot = up.endsWith("/build/") ? up.slice(0, -"build/".length) : up;
