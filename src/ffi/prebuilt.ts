/**
 * The prebuilt libraries as the bundler sees them: none here (Node, Deno,
 * esbuild). package.json's "#prebuilt" import maps Bun to prebuilt-bun.ts (locate.ts),
 * which names them as file imports so `bun build --compile` embeds them.
 */
export const prebuilt: Readonly<Record<string, string>> | undefined = undefined;
