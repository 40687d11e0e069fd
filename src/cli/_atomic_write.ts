/**
 * Files the CLI replaces whole (the CRC cache, a manifest), written so that
 * a reader sees the old contents or the new, never half of them.
 *
 * @module
 */

import { dirname } from "node:path";
import { CliError } from "./_cli_error.ts";
import { reason } from "./_walk.ts";

/**
 * Writes `text` to a temporary file beside `path` and renames it over
 * `path`, creating the folder if need be. On failure the temporary file is
 * removed and `path` is left as it was.
 *
 * @throws {CliError} naming `what` and `path`
 */
export async function writeAtomically(
  path: string,
  text: string,
  what: string,
): Promise<void> {
  const temporary = `${path}.${Deno.pid}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(temporary, text);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw new CliError(`Cannot write ${what} "${path}": ${reason(error)}`, {
      cause: error,
    });
  }
}
