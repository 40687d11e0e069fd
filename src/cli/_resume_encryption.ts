/**
 * `--resume FILE` with `-e`: what FILE keeps so that a resumed run encrypts
 * the entries it writes again exactly as the first run did. The salts of an
 * encrypted archive come from a random salt key (`ZipOptions.saltKey`),
 * drawn by the first run and kept in FILE; a check value tells whether a
 * resumed run was given the same password, since the archive's first part,
 * already uploaded, was encrypted with the first one. The password itself
 * is never written.
 *
 * The check is PBKDF2-HMAC-SHA1 of the password with 100,000 iterations:
 * whoever reads FILE can test guesses of the password against it, at a
 * hundred times the cost of testing them against the archive itself (whose
 * entries each carry a password verifier and an authentication code under
 * keys of 1,000 iterations).
 *
 * @module
 */

import { pbkdf2HmacSha1 } from "../zip/_pbkdf2.ts";
import { CliError } from "./_cli_error.ts";
import { fromHex, toHex } from "../s3/_etag.ts";

/** What FILE records of an encrypted archive, in hex. */
export interface RecordedEncryption {
  /** The archive's `saltKey`. */
  saltKey: string;
  /** The password's check value. */
  check: string;
}

/** A run's encryption, as FILE records it and as `zip()` takes it. */
export interface ResumedEncryption {
  recorded: RecordedEncryption;
  saltKey: Uint8Array;
}

const SALT_KEY_LENGTH = 32;
const CHECK_ITERATIONS = 100_000;
const CHECK_LENGTH = 16;
const CHECK_DOMAIN = new TextEncoder().encode("zipstream resume check\0");

/**
 * The encryption of a run with `--resume FILE`: a new salt key when FILE
 * records no upload yet (`stored` is `false`), else the one FILE records,
 * once the password is shown to be the first run's.
 *
 * @param stored Whether FILE records an upload; `recorded` its encryption.
 * @param password The password of this run; `undefined` without `-e`.
 * @throws {CliError} The run and FILE disagree on encryption, or on the
 * password.
 */
export async function resumedEncryption(
  path: string,
  stored: boolean,
  recorded: RecordedEncryption | undefined,
  password: string | undefined,
): Promise<ResumedEncryption | undefined> {
  const abort = `or discard its upload with zipstream --abort-resume ${path}`;
  if (password === undefined) {
    if (recorded === undefined) return undefined;
    throw new CliError(
      `Cannot resume from ${path}: it records an encrypted upload, but this run does not encrypt; give -e or --password-file with its password, ${abort}`,
    );
  }
  if (stored && recorded === undefined) {
    throw new CliError(
      `Cannot resume from ${path}: it records an upload without encryption, but this run encrypts; leave out -e and --password-file, ${abort}`,
    );
  }
  const saltKey = recorded === undefined
    ? crypto.getRandomValues(new Uint8Array(SALT_KEY_LENGTH))
    : fromHex(recorded.saltKey);
  const check = toHex(await checkValue(password, saltKey));
  if (recorded !== undefined && recorded.check !== check) {
    throw new CliError(
      `Cannot resume from ${path}: expected the password its upload was started with, but this one differs; give that password, ${abort}`,
    );
  }
  return { recorded: { saltKey: toHex(saltKey), check }, saltKey };
}

/** Whether `value` is what FILE may hold as its encryption. */
export function isRecordedEncryption(value: unknown): boolean {
  if (value === undefined) return true;
  const { saltKey, check } = (value ?? {}) as Partial<RecordedEncryption>;
  return typeof saltKey === "string" && /^([0-9a-f]{2})+$/.test(saltKey) &&
    typeof check === "string";
}

function checkValue(
  password: string,
  saltKey: Uint8Array,
): Promise<Uint8Array> {
  const salt = new Uint8Array(CHECK_DOMAIN.length + saltKey.length);
  salt.set(CHECK_DOMAIN);
  salt.set(saltKey, CHECK_DOMAIN.length);
  return pbkdf2HmacSha1(
    new TextEncoder().encode(password),
    salt,
    CHECK_ITERATIONS,
    CHECK_LENGTH,
  );
}
