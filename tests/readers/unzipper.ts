/**
 * Node `unzipper`'s streaming `Parse`, fed the archive through a pipe, under
 * real Node: `unzipper_parse.mjs` beside this file, with the version of
 * unzipper that `package-lock.json` pins, installed in `node_modules` here by
 * scripts/install_test_tools.sh.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { type ReaderListing, runListingReader } from "./_listing.ts";

const SCRIPT = fileURLToPath(new URL("./unzipper_parse.mjs", import.meta.url));

/** Reads the archive front to back from a pipe with `unzipper.Parse`. */
export function readWithUnzipper(path: string): Promise<ReaderListing> {
  return runListingReader("unzipper Parse", "node", [SCRIPT], path);
}
