/**
 * Node `unzipper`'s streaming `Parse`, fed the archive through a pipe, under
 * real Node: `unzipper_parse.mjs` beside this file, with the package
 * installed in `node_modules` here by scripts/install_test_tools.sh.
 *
 * @module
 */

import { feed, listing, type ReaderListing } from "./java_readers.ts";

const SCRIPT = new URL("./unzipper_parse.mjs", import.meta.url).pathname;
const decoder = new TextDecoder();

/** Reads the archive front to back from a pipe with `unzipper.Parse`. */
export async function readWithUnzipper(path: string): Promise<ReaderListing> {
  const child = new Deno.Command("node", {
    args: [SCRIPT],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const [output] = await Promise.all([
    child.output(),
    feed(path, child.stdin),
  ]);
  return listing(
    "node unzipper Parse",
    output.code,
    decoder.decode(output.stdout),
    decoder.decode(output.stderr),
  );
}
