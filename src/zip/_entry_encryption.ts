/**
 * Which entries are encrypted, and with what: the `password`, `encryption`
 * and `saltKey` options resolved for the archive and for each entry, and
 * what encryption changes in an entry's CRC and sizes.
 *
 * @module
 */

import { describeValue } from "../_errors.ts";
import { cannotAdd } from "./_describe.ts";
import { encodeUtf8 } from "./_utf8.ts";
import { WINZIP_AES_256_OVERHEAD } from "./_winzip_aes.ts";
import type { AesVersion } from "./_winzip_aes_extra.ts";
import { EntrySalts } from "./_entry_salts.ts";

/** How one entry's data is encrypted: WinZip AES-256. */
export interface EntryEncryption {
  /** The password, UTF-8 encoded, as WinZip and 7-Zip take it. */
  readonly password: Uint8Array;
  /** AE-1 keeps the real CRC-32 in the headers, AE-2 writes 0. */
  readonly version: AesVersion;
}

/** The AE versions, by the names of the `encryption` option. */
const AES_VERSIONS: ReadonlyMap<unknown, AesVersion> = new Map([
  ["AE-1", 1],
  ["AE-2", 2],
]);
/** A salt key shorter than this could be guessed: 128 bits. */
const MIN_SALT_KEY_LENGTH = 16;
const SUBJECT = "Cannot create the archive: invalid option";

/** The archive-wide encryption settings, checked. */
export interface ResolvedEncryption {
  /** The archive's password and AE version; `undefined` without a password. */
  encryption: EntryEncryption | undefined;
  /** The AE version of every encrypted entry. */
  aesVersion: AesVersion;
  salts: EntrySalts;
}

/**
 * Checks the `password`, `encryption` and `saltKey` options.
 *
 * @param resumeOffset Where the archive resumes: an encrypted archive
 * resumes only with a `saltKey`.
 * @throws {TypeError} for an option of the wrong kind.
 * @throws {RangeError} for a salt key too short.
 * @throws {Error} for a resumed encrypted archive without a salt key.
 */
export function resolveEncryption(
  options: { password: unknown; encryption: unknown; saltKey: unknown },
  resumeOffset: number,
): ResolvedEncryption {
  const { password, encryption, saltKey } = options;
  const aesVersion = AES_VERSIONS.get(encryption);
  if (aesVersion === undefined) {
    throw new TypeError(
      `${SUBJECT} encryption: expected "AE-2" or "AE-1" but received ${
        describeValue(encryption)
      }`,
    );
  }
  const passwordBytes = password === undefined
    ? undefined
    : encodePassword(`${SUBJECT} password`, password);
  if (saltKey !== undefined && !(saltKey instanceof Uint8Array)) {
    throw new TypeError(
      `${SUBJECT} saltKey: expected a Uint8Array of at least ${MIN_SALT_KEY_LENGTH} bytes but received ${
        describeValue(saltKey)
      }`,
    );
  }
  if (saltKey !== undefined && saltKey.length < MIN_SALT_KEY_LENGTH) {
    throw new RangeError(
      `${SUBJECT} saltKey: expected at least ${MIN_SALT_KEY_LENGTH} bytes but received ${saltKey.length}`,
    );
  }
  if (passwordBytes !== undefined && resumeOffset > 0 && !saltKey) {
    throw new Error(
      `Cannot resume an encrypted archive at byte ${resumeOffset}: its salts are random, so its bytes differ on every run; expected the option saltKey (the one the first run used) but received none`,
    );
  }
  return {
    encryption: passwordBytes === undefined
      ? undefined
      : { password: passwordBytes, version: aesVersion },
    aesVersion,
    salts: new EntrySalts(saltKey),
  };
}

/**
 * Checks a password option and encodes it. The message names the option and
 * the kind of value received, never the value: it may be the password.
 *
 * @param subject What the error message starts with.
 * @throws {TypeError} for anything but a non-empty well-formed string.
 */
function encodePassword(subject: string, value: unknown): Uint8Array {
  if (typeof value !== "string" || value === "" || !value.isWellFormed()) {
    const received = typeof value !== "string"
      ? describeKind(value)
      : value === ""
      ? "an empty string"
      : "a string with a lone UTF-16 surrogate";
    throw new TypeError(
      `${subject}: expected a non-empty string without lone surrogates but received ${received}`,
    );
  }
  return encodeUtf8(value);
}

/** The kind of a value, without the value itself. */
function describeKind(value: unknown): string {
  return value === null || value === undefined || typeof value === "boolean"
    ? describeValue(value)
    : `a value of type ${typeof value}`;
}

/**
 * The last password an entry brought, per archive: entries usually share
 * theirs, which is then encoded once (and its WebCrypto key, kept per
 * array, imported once).
 */
export interface EntryPasswordCache {
  last: { text: string; encryption: EntryEncryption } | undefined;
}

/**
 * The encryption of one entry: its own `password`, `false` for none, or the
 * archive's. Directories and symbolic links (`plain`) are never encrypted.
 *
 * @throws {TypeError} for a password that is not a non-empty string or false.
 */
export function entryEncryption(
  name: string,
  password: unknown,
  defaults: {
    readonly encryption: EntryEncryption | undefined;
    readonly aesVersion: AesVersion;
    readonly entryPasswords: EntryPasswordCache;
  },
  plain: boolean,
): EntryEncryption | undefined {
  if (password === false) return undefined;
  let encryption = defaults.encryption;
  if (password !== undefined) {
    const subject = `${cannotAdd(name)}: invalid password`;
    if (typeof password !== "string") {
      throw new TypeError(
        `${subject}: expected a non-empty string or false but received ${
          describeKind(password)
        }`,
      );
    }
    const { last } = defaults.entryPasswords;
    if (last?.text === password) {
      encryption = last.encryption;
    } else {
      encryption = {
        password: encodePassword(subject, password),
        version: defaults.aesVersion,
      };
      defaults.entryPasswords.last = { text: password, encryption };
    }
  }
  return plain ? undefined : encryption;
}

/**
 * The CRC-32 an entry's headers and record carry: 0 for AE-2, whose point is
 * not to publish the CRC of the plain data (the CRC of a short file tells
 * its content), the real one otherwise.
 */
export function headerCrc(
  encryption: EntryEncryption | undefined,
  crc: number,
): number {
  return encryption?.version === 2 ? 0 : crc;
}

/** The bytes encryption adds to an entry's stored data: salt, verifier, code. */
export function encryptionOverhead(
  encryption: EntryEncryption | undefined,
): number {
  return encryption === undefined ? 0 : WINZIP_AES_256_OVERHEAD;
}
