/**
 * An esbuild plugin that resolves the library's bare imports (pako) the way
 * Deno resolves them for the library itself, through deno.json's import map,
 * so that a bundle holds the very pako that Deno runs and writes the same
 * bytes.
 *
 * @module
 */

import type * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";

/** Resolves `pako` to the file Deno's import map gives. */
export const denoResolution: esbuild.Plugin = {
  name: "deno-import-map",
  setup(build) {
    build.onResolve({ filter: /^pako$/ }, ({ path }) => ({
      path: fileURLToPath(import.meta.resolve(path)),
    }));
  },
};
