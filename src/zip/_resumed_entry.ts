/**
 * An entry that the earlier run of a resumed archive wrote in full: where its
 * record says it lies, checked against where the entry lies now.
 *
 * @module
 */

import type { EntryFields } from "./_entry_fields.ts";
import {
  type EntryLayout,
  entryLength,
  streamedEntryLayout,
} from "./_entry_layout.ts";
import { entryFields, type ResolvedEntry } from "./_resolved_entry.ts";
import type { WrittenEntry } from "./written_entry.ts";
import { headerCrc } from "./_entry_encryption.ts";

/** What the central directory header of a resumed entry is made from. */
export interface ResumedLayout {
  fields: EntryFields;
  layout: EntryLayout;
  /** Where the entry ends in the archive. */
  end: number;
}

/**
 * The layout of `entry` starting at `offset`, which depends only on the
 * entry, so that a changed entry list or changed options are caught before a
 * byte is skipped.
 *
 * @throws {Error} The entry does not lie where `record` says, or has another
 * declared size or CRC-32.
 */
export function resumedLayout(
  entry: ResolvedEntry,
  record: WrittenEntry,
  offset: number,
): ResumedLayout {
  const layout = streamedEntryLayout(entry);
  const fields = entryFields(entry, layout.method, layout.usesDataDescriptor);
  const end = offset + entryLength(fields, layout, record);
  const sizeChanged = entry.size !== undefined && entry.size !== record.size;
  // The record holds the CRC as the headers do: 0 for AE-2.
  const crcChanged = entry.crc32 !== undefined &&
    headerCrc(entry.encryption, entry.crc32) !== record.crc32;
  if (
    record.offset !== offset || record.end !== end || sizeChanged || crcChanged
  ) {
    throw new Error(
      `Cannot resume the archive at ${
        JSON.stringify(entry.name)
      }: expected it at bytes ${offset}-${end} as recorded at ${record.offset}-${record.end}, with the recorded size and CRC; the entries or options have changed`,
    );
  }
  return { fields, layout, end };
}
