/**
 * The encryption step of the archive writer: turns an entry's data, once
 * deflated (or stored), into WinZip AES-256 data, chunk by chunk and in
 * order, so memory stays flat whatever the entry's size.
 *
 * @module
 */

import type { EntryEncryption } from "./_entry_encryption.ts";
import type { EntrySalts } from "./_entry_salts.ts";
import type { ResolvedEntry } from "./_resolved_entry.ts";
import { type OutputQueue, SLAB_SIZE } from "./_output_queue.ts";
import { WinZipAesEncryptor } from "./_winzip_aes.ts";
import { deriveWinZipKeys } from "./_winzip_aes_keys.ts";

/** One entry's encryption: what goes before, among and after its data. */
export class EntrySealer {
  /** The salt and password verifier, written before the data. */
  readonly header: Uint8Array;
  #encryptor: WinZipAesEncryptor;

  private constructor(header: Uint8Array, encryptor: WinZipAesEncryptor) {
    this.header = header;
    this.#encryptor = encryptor;
  }

  /**
   * Derives the keys of an entry: its salt, then PBKDF2 of the password
   * with that salt (1,000 iterations, the cost of each encrypted entry).
   */
  static async open(
    encryption: EntryEncryption,
    salts: EntrySalts,
    index: number,
    nameBytes: Uint8Array,
  ): Promise<EntrySealer> {
    const salt = await salts.salt(index, nameBytes);
    const keys = await deriveWinZipKeys(encryption.password, salt);
    const header = new Uint8Array(salt.length + keys.verifier.length);
    header.set(salt);
    header.set(keys.verifier, salt.length);
    return new EntrySealer(header, new WinZipAesEncryptor(keys));
  }

  /** Encrypts the next chunk of the entry's (compressed) data into new bytes. */
  seal(chunk: Uint8Array): Uint8Array {
    return this.#encryptor.update(chunk);
  }

  /** The 10-byte authentication code, written after the data. */
  finish(): Uint8Array {
    return this.#encryptor.finish();
  }

  /**
   * Queues the whole entry into `out`: salt and verifier, `data` encrypted
   * a slab at a time, and the authentication code; yields a batch whenever
   * `out` is full. Encrypted bytes are new arrays, so never copied again.
   */
  *sealWhole(
    data: Uint8Array,
    out: OutputQueue,
  ): Generator<Uint8Array[], void, undefined> {
    out.emit(this.header);
    for (let at = 0; at < data.length; at += SLAB_SIZE) {
      out.emit(this.seal(data.subarray(at, at + SLAB_SIZE)));
      if (out.full) yield out.take();
    }
    out.emit(this.finish());
  }
}

/**
 * The sealer the look-ahead opened for `entry`, once its keys are derived,
 * checking first that the entry, starting at archive byte `offset`, can be
 * written again by a resumed run.
 *
 * @throws {Error} The entry starts before the resume offset and its salt
 * is random: the bytes already delivered hold another salt, which this run
 * cannot reproduce.
 */
export function sealerAt(
  opening: Promise<EntrySealer>,
  entry: ResolvedEntry,
  options: { readonly salts: EntrySalts; readonly resumeOffset: number },
  offset: number,
): Promise<EntrySealer> {
  if (offset < options.resumeOffset && !options.salts.derived) {
    throw new Error(
      `Cannot resume the archive at byte ${options.resumeOffset} in the encrypted entry ${
        JSON.stringify(entry.name)
      }: its salt is random, so its bytes differ on every run; expected the option saltKey (the one the first run used) but received none`,
    );
  }
  return opening;
}
