/**
 * Stops the command before it writes anything when a symbolic link it would
 * store could point outside the folder the archive is extracted into, with
 * the path on disk and the two ways on.
 *
 * @module
 */

import { escapingReason } from "../zip/_symlink_target.ts";
import { CliError } from "./_cli_error.ts";
import type { ArchiveItem } from "./_entries.ts";

/**
 * Refuses the first link among `items` whose target the archive would refuse
 * without `allowEscapingSymlinks` (the library's rule, applied to the link's
 * archive name).
 *
 * @throws {CliError} naming the link's path, its target and why it escapes.
 */
export function refuseEscapingLinks(items: readonly ArchiveItem[]): void {
  for (const item of items) {
    if (item.kind !== "symlink") continue;
    const reason = escapingReason(item.name, item.target);
    if (reason === undefined) continue;
    throw new CliError(
      `Cannot add "${item.path}": symbolic link to "${item.target}" ${reason}, so it could point outside the folder the archive is extracted into; give --follow-symlinks to store what it points to, or --allow-escaping-symlinks to store the link anyway`,
    );
  }
}
