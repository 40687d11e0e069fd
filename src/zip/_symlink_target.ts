/**
 * Symbolic links: an entry whose mode has the link file type stores, as its
 * data, the path the link points to. These are the rules that keep such a
 * target from pointing outside the folder the archive is extracted into.
 *
 * @module
 */

import {
  EXTERNAL_ATTRIBUTES_MODE_SHIFT,
  S_IFLNK,
  S_IFMT,
} from "./_constants.ts";
import { cannotAdd } from "./_describe.ts";
import type { ResolvedEntry } from "./_resolved_entry.ts";
import { decodeUtf8 } from "./_utf8.ts";

const DRIVE_LETTER = /^[A-Za-z]:/;
const PARENT = "..";
const CURRENT = ".";

/** Whether the entry is a symbolic link, by the file-type bits of its mode. */
export function isSymlink(entry: ResolvedEntry): boolean {
  return ((entry.externalAttributes >>> EXTERNAL_ATTRIBUTES_MODE_SHIFT) &
    S_IFMT) === S_IFLNK;
}

/**
 * Why `target`, stored as the target of the link `linkName`, could point
 * outside the extraction folder, or `undefined` when it cannot. The target
 * is resolved against the link's own folder inside the archive, by its text
 * alone: a `..` is allowed only before every other segment, because after
 * a folder name an extractor's file system resolves it from wherever that
 * folder leads, and the folder may itself be a link (`up → .` makes
 * `up/..` the parent of the extraction folder). As no entry lies beneath a
 * link (see `ArchiveLinks`), the leading `..`s climb real folders, and the
 * other segments only descend, through links that lead inside themselves.
 *
 * @param linkName The link's entry name, a checked relative path.
 * @returns The reason as the end of a sentence whose subject is the target,
 * such as `"climbs above the archive's root"`.
 */
export function escapingReason(
  linkName: string,
  target: string,
): string | undefined {
  if (target.startsWith("/") || target.startsWith("\\")) {
    return "is an absolute path";
  }
  if (DRIVE_LETTER.test(target)) return "starts with a drive letter";
  if (target.includes("\\")) {
    return "contains a backslash, a folder separator on Windows";
  }
  // The link's folder is as deep as its name has slashes.
  let depth = 0;
  for (
    let i = linkName.indexOf("/");
    i !== -1;
    i = linkName.indexOf("/", i + 1)
  ) {
    depth++;
  }
  let descended = false;
  for (const segment of target.split("/")) {
    if (segment === "" || segment === CURRENT) continue;
    if (segment !== PARENT) {
      descended = true;
      continue;
    }
    if (descended) {
      return 'has a ".." after a folder name, which is resolved from wherever that folder leads (it may be another link)';
    }
    depth--;
    if (depth < 0) return "climbs above the archive's root";
  }
  return undefined;
}

/**
 * Checks the target of a link entry: given up front (it is needed before
 * the entry is written), not empty, valid UTF-8 without NUL and, unless
 * `allowEscaping`, unable to point outside the extraction folder.
 *
 * @throws {TypeError} naming the entry, and the target once it is known.
 */
export function checkSymlinkTarget(
  entry: ResolvedEntry,
  allowEscaping: boolean,
): void {
  const { name, body } = entry;
  if (entry.isDirectory) {
    throw new TypeError(
      `${
        cannotAdd(name)
      }: a symbolic link cannot have a directory's name (ending in "/")`,
    );
  }
  if (body.kind !== "bytes") {
    throw new TypeError(
      `${
        cannotAdd(name)
      }: expected a symbolic link's target as a string or bytes, to check it before writing it, but received a Blob, stream or iterable`,
    );
  }
  if (body.bytes.length === 0) {
    throw new TypeError(
      `${cannotAdd(name)}: a symbolic link's target cannot be empty`,
    );
  }
  const target = decodeUtf8(body.bytes);
  if (target === undefined) {
    throw new TypeError(
      `${cannotAdd(name)}: a symbolic link's target must be valid UTF-8`,
    );
  }
  if (target.includes("\0")) {
    throw new TypeError(
      `${cannotAdd(name)}: its symbolic link target ${
        JSON.stringify(target)
      } contains a NUL character, which no file system keeps in a link (extractors would cut the target there)`,
    );
  }
  const reason = allowEscaping ? undefined : escapingReason(name, target);
  if (reason !== undefined) {
    throw new TypeError(
      `${cannotAdd(name)}: its symbolic link target ${
        JSON.stringify(target)
      } ${reason}, so an extractor could make a link to outside the folder it extracts into; set the option allowEscapingSymlinks: true to store it anyway`,
    );
  }
}
