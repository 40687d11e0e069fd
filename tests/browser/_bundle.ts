/**
 * Bundles the browser test's page module and Service Worker, each with the
 * library, into one self-contained script apiece, the way an application
 * would ship zipstream to a browser.
 *
 * @module
 */

import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import { denoResolution } from "../../scripts/_esbuild_deno_resolution.ts";

/** The bundled scripts' text. */
export interface BrowserScripts {
  page: string;
  serviceWorker: string;
}

/** Bundles `_page.ts` and `_service_worker.ts` for browsers. */
export async function bundleBrowserScripts(): Promise<BrowserScripts> {
  try {
    const result = await esbuild.build({
      entryPoints: {
        page: fileURLToPath(new URL("./_page.ts", import.meta.url)),
        service_worker: fileURLToPath(
          new URL("./_service_worker.ts", import.meta.url),
        ),
      },
      outdir: "bundled",
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      logLevel: "silent",
      plugins: [denoResolution],
    });
    const text = (name: string) => {
      const file = result.outputFiles.find((output) =>
        output.path.endsWith(`/${name}`)
      );
      if (file === undefined) {
        throw new Error(
          `Cannot bundle the browser test: expected ${name} among esbuild's outputs but got ${
            result.outputFiles.map((output) => output.path).join(", ")
          }`,
        );
      }
      return file.text;
    };
    return { page: text("page.js"), serviceWorker: text("service_worker.js") };
  } finally {
    // esbuild's service process would outlive the test otherwise.
    await esbuild.stop();
  }
}
