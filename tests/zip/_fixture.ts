/**
 * Runs a fixture script of this folder in a fresh `deno run` with no
 * permission flags, the way a user's program would load the package.
 *
 * @module
 */

import assert from "node:assert/strict";

/** The archive the fixture wrote to its standard output, and its stderr. */
export async function runFixture(
  name: string,
): Promise<{ archive: Uint8Array; stderr: string }> {
  const fixture = new URL(name, import.meta.url);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", fixture.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  return { archive: output.stdout, stderr };
}
