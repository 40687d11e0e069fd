/**
 * The archive's entries as the writer takes them: pulled from the caller's
 * source one at a time, in order, each checked and resolved against the
 * archive's defaults.
 *
 * @module
 */

import { messageOf } from "../_errors.ts";
import { IteratorProtocolError, type PullSource } from "./_pull_source.ts";
import {
  type EntryDefaults,
  type ResolvedEntry,
  resolveEntry,
} from "./_resolved_entry.ts";
import type { ZipEntry } from "./zip_entry.ts";

/** Resolves the entries of a source, numbering them from 0. */
export class ResolvedEntries {
  #entries: PullSource<ZipEntry>;
  #defaults: EntryDefaults;
  #position = 0;

  constructor(entries: PullSource<ZipEntry>, defaults: EntryDefaults) {
    this.#entries = entries;
    this.#defaults = defaults;
  }

  /**
   * The next entry, resolved; `undefined` at the end of the source.
   *
   * @throws {TypeError} The source broke the iteration protocol, or the
   * entry is not one the archive can take (its message names the entry).
   * @throws {Error} The source failed; its error is the `cause`.
   */
  async next(): Promise<ResolvedEntry | undefined> {
    let pulled;
    try {
      pulled = await this.#entries.read();
    } catch (cause) {
      if (cause instanceof IteratorProtocolError) {
        throw new TypeError(
          `Cannot read the next entry of the archive: ${cause.message}`,
        );
      }
      throw new Error(
        `Cannot read the next entry of the archive: the entry source failed: ${
          messageOf(cause)
        }`,
        { cause },
      );
    }
    if (pulled.done) return undefined;
    return resolveEntry(pulled.value, this.#defaults, this.#position++);
  }
}
