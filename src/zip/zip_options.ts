/**
 * Archive-wide settings.
 *
 * @module
 */

import type { CompressionMethod } from "./zip_entry.ts";

/** Options that apply to the whole archive and give entries their defaults. */
export interface ZipOptions {
  /**
   * How entries are compressed when they do not say.
   *
   * @default {"deflate"}
   */
  compression?: CompressionMethod;
  /**
   * Deflate level for entries that do not say, 0 (fastest) to 9 (smallest).
   *
   * @default {6}
   */
  level?: number;
  /** The archive comment, stored in the end of central directory record. */
  comment?: string;
  /**
   * The modification time given to entries without `lastModified`.
   *
   * @default {the time the archive starts}
   */
  lastModified?: Date | number;
}
