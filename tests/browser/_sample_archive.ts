/**
 * The archive the browser test writes in a page, in a Service Worker and in
 * Deno: one streamed deflate entry of {@linkcode SAMPLE_SIZE} bytes, with
 * every option that could vary between runs fixed.
 *
 * @module
 */

import { zip, type ZipOptions } from "../../mod.ts";
import { SAMPLE_SIZE, sampleText } from "./_sample_text.ts";

export { SAMPLE_SIZE };

/** The entry's name in the archive. */
export const SAMPLE_ENTRY_NAME = "sample/words.txt";

/**
 * The sample archive. Only the worker options may vary: the archive's bytes
 * must not depend on them.
 */
export function zipSample(
  options: Pick<ZipOptions, "workers" | "onWorkers">,
): ReadableStream<Uint8Array> {
  // A stream of unknown size: a streamed entry, the only kind whose blocks
  // go to the deflate pool.
  return zip([{ name: SAMPLE_ENTRY_NAME, data: sampleText() }], {
    ...options,
    compression: "deflate",
    level: 6,
    lastModified: Date.UTC(2026, 0, 1),
  });
}
