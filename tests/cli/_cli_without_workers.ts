/**
 * The `zipstream` command in a runtime without web Workers, as Node is: the
 * `Worker` global is removed before the command loads.
 *
 * @module
 */

delete (globalThis as { Worker?: unknown }).Worker;
const { main } = await import("../../src/cli/mod.ts");
Deno.exit(await main(Deno.args));
