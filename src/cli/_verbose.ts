/**
 * `-v`: one line per entry as it is written, as zip prints them.
 *
 * @module
 */

import type { WrittenEntry } from "../zip/written_entry.ts";

/**
 * The line zip prints for `entry`: `  adding: a.txt (deflated 61%)`, or
 * `(stored 0%)` for what was stored. The written entry does not name its
 * method: it was stored when that was asked for (`stored`), or when it holds
 * as many bytes as it read, which is how the archive stores data deflate
 * cannot shrink (deflate itself always changes the length).
 */
export function formatAdding(entry: WrittenEntry, stored: boolean): string {
  if (stored || entry.compressedSize === entry.size) {
    return `  adding: ${entry.name} (stored 0%)`;
  }
  const saved = Math.round((1 - entry.compressedSize / entry.size) * 100);
  return `  adding: ${entry.name} (deflated ${saved}%)`;
}
