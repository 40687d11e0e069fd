/**
 * The symbolic links of an archive and the folders its entries lie in, kept
 * so that no entry is written through a link: an extractor that has created
 * `link` (pointing anywhere) writes `link/passwd` wherever the link leads.
 *
 * @module
 */

import {
  ByteStringArena,
  type ByteStringHash,
  type ByteStrings,
  ByteStringSet,
  sameBytes,
} from "./_byte_string_set.ts";
import { cannotAdd } from "./_describe.ts";
import type { ResolvedEntry } from "./_resolved_entry.ts";
import { checkSymlinkTarget, isSymlink } from "./_symlink_target.ts";
import { decodeUtf8, encodeUtf8 } from "./_utf8.ts";

const SLASH = 0x2f;
const UPPER_A = 0x41;
const UPPER_Z = 0x5a;
const FIRST_NON_ASCII = 0x80;
/** The bit that turns an ASCII capital into its small letter. */
const ASCII_CASE_BIT = 0x20;
const NO_BYTES = new Uint8Array(0);

/**
 * Checks each entry of an archive, in order, against the links before it,
 * and each link against the entries before it.
 *
 * Nothing is kept, and an entry costs one test, until the first link: then
 * the folders of the names so far are recorded, once. Paths are compared
 * folded (case, and Unicode normalization) as the file systems of macOS and
 * Windows compare names: there `Link/x` lies beneath the link `link`.
 * Folders are kept in typed arrays (see `ByteStringSet`), and an entry in
 * the folder of the entry before it, the usual order, costs a comparison of
 * bytes.
 */
export class ArchiveLinks {
  #names: ByteStrings;
  /** What the checks need, from the first link on. */
  #paths: PathsSoFar | undefined;

  /**
   * @param names The archive's names so far, as the duplicate check keeps
   * them: read once, when the first link arrives.
   */
  constructor(names: ByteStrings) {
    this.#names = names;
  }

  /**
   * Admits the next entry of the archive: refuses a link whose target is
   * not acceptable (see `checkSymlinkTarget`), an entry beneath a link, and
   * a link at the path of a folder that earlier entries lie in.
   *
   * @param allowEscapingSymlinks Whether links may point outside the
   * extraction folder.
   * @throws {TypeError} naming the entry, and the link or target at fault.
   */
  admit(entry: ResolvedEntry, allowEscapingSymlinks: boolean): void {
    const link = isSymlink(entry);
    if (!link && this.#paths === undefined) return;
    if (link) checkSymlinkTarget(entry, allowEscapingSymlinks);
    this.#paths ??= PathsSoFar.of(this.#names);
    this.#paths.admit(entry, link);
  }
}

/** The folders and links of an archive so far, folded. */
class PathsSoFar {
  // Every folder an entry lies in: `a` and `a/b` for `a/b/c.txt`.
  #folderKeys = new ByteStringArena();
  #folders = new ByteStringSet(this.#folderKeys);
  #linkKeys = new ByteStringArena();
  #links = new ByteStringSet(this.#linkKeys);
  /** The names of the links, in the order of their keys. */
  #linkNames: string[] = [];
  // The folder of the last entry whose folders were recorded, as it is
  // spelt in that entry's name; -1 for none.
  #lastFolder: Uint8Array = NO_BYTES;
  #lastFolderLength = -1;

  /** The folders of `names`, an archive's names before its first link. */
  static of(names: ByteStrings): PathsSoFar {
    const paths = new PathsSoFar();
    paths.#recordNames(names);
    return paths;
  }

  /**
   * Records the folders of the entry, refusing it when it lies beneath a
   * link, and records the entry when it is a link (whose target was
   * checked), refusing it when earlier entries lie beneath it.
   *
   * @throws {TypeError} naming the entry and, beneath a link, the link.
   */
  admit(entry: ResolvedEntry, link: boolean): void {
    const { nameBytes } = entry;
    const length = entry.isDirectory ? nameBytes.length - 1 : nameBytes.length;
    const folderLength = lastSlash(nameBytes, 0, length);
    if (
      !link &&
      (folderLength === -1 || this.#isLastFolder(nameBytes, folderLength))
    ) return;
    // A link's whole path is its key; another entry needs only its folder.
    const foldLength = link ? length : folderLength;
    const key = fold(nameBytes, foldLength);
    const keyLength = key === nameBytes ? foldLength : key.length;
    const beneath = this.#recordFolders(
      key,
      link ? lastSlash(key, 0, keyLength) : keyLength,
    );
    if (beneath !== undefined) {
      throw new TypeError(
        `${cannotAdd(entry.name)}: it lies beneath ${
          JSON.stringify(beneath)
        }, a symbolic link earlier in the archive, so an extractor would write it wherever the link points`,
      );
    }
    this.#lastFolder = nameBytes;
    this.#lastFolderLength = folderLength;
    if (link) this.#addLink(entry, key, keyLength);
  }

  #isLastFolder(nameBytes: Uint8Array, folderLength: number): boolean {
    return folderLength === this.#lastFolderLength &&
      sameBytes(nameBytes, 0, this.#lastFolder, folderLength);
  }

  /**
   * Records the folder `key[0..length)` and the folders it lies in,
   * deepest first. A folder already recorded ends the walk: its own folders
   * were recorded with it, and none can have become a link since
   * (`#addLink`).
   *
   * @returns The name of a link among them, which stops the walk.
   */
  #recordFolders(key: Uint8Array, length: number): string | undefined {
    for (let end = length; end > 0; end = lastSlash(key, 0, end)) {
      if (this.#links.size > 0 && this.#links.has(key, end)) {
        return this.#linkName(key, end);
      }
      if (!this.#folders.add(key, end)) return undefined;
      this.#folderKeys.append(key, end);
    }
    return undefined;
  }

  #recordNames(names: ByteStrings): void {
    let previous: Uint8Array = NO_BYTES;
    let previousLength = -1;
    // The names are read through the one door `ByteStrings` opens on their
    // bytes, a hash function: this one records their folders.
    const record: ByteStringHash = (bytes, start, end) => {
      const folderLength = lastSlash(bytes, start, end) - start;
      if (
        folderLength > 0 &&
        (folderLength !== previousLength ||
          !sameBytes(bytes, start, previous, folderLength))
      ) {
        const name = bytes.subarray(start, end);
        const key = fold(name, folderLength);
        this.#recordFolders(key, key === name ? folderLength : key.length);
        previous = name;
        previousLength = folderLength;
      }
      return 0;
    };
    for (let index = 0; index < names.count; index++) {
      names.hash(index, record);
    }
  }

  #addLink(entry: ResolvedEntry, key: Uint8Array, keyLength: number): void {
    if (this.#folders.has(key, keyLength)) {
      throw new TypeError(
        `${
          cannotAdd(entry.name)
        }: it is a symbolic link, but earlier entries of the archive lie beneath that path, so an extractor would fail on the link or replace their folder with it`,
      );
    }
    // A link that differs from an earlier one only in case replaces it where
    // case is ignored; both targets were checked.
    if (!this.#links.add(key, keyLength)) return;
    this.#linkKeys.append(key, keyLength);
    this.#linkNames.push(entry.name);
  }

  /** The name of the link whose key is the first `length` bytes of `key`. */
  #linkName(key: Uint8Array, length: number): string {
    const index = this.#linkNames.findIndex((_, i) =>
      this.#linkKeys.equals(i, key, length)
    );
    return this.#linkNames[index] ?? "";
  }
}

/** The index of the last `/` in `bytes[start..end)`, or -1. */
function lastSlash(bytes: Uint8Array, start: number, end: number): number {
  for (let i = end - 1; i >= start; i--) {
    if (bytes[i] === SLASH) return i;
  }
  return -1;
}

/**
 * The path `bytes[0..length)`, folded: small letters, and Unicode in NFC
 * (macOS's HFS+ keeps names in NFD, and APFS compares them either way).
 * ASCII, the usual kind, is folded byte by byte, and returned as `bytes`
 * itself when it has no capital; otherwise the key is all of the result.
 */
function fold(bytes: Uint8Array, length: number): Uint8Array {
  let folded: Uint8Array | undefined;
  for (let i = 0; i < length; i++) {
    const byte = bytes[i]!;
    if (byte >= FIRST_NON_ASCII) {
      // Names are valid UTF-8: they were encoded from strings.
      const path = decodeUtf8(bytes.subarray(0, length)) ?? "";
      return encodeUtf8(path.toLowerCase().normalize("NFC"));
    }
    if (byte >= UPPER_A && byte <= UPPER_Z) {
      folded ??= bytes.slice(0, length);
      folded[i] = byte | ASCII_CASE_BIT;
    }
  }
  return folded ?? bytes;
}
