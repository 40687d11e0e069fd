/**
 * `ServeZipOptions` checked and completed with their defaults.
 *
 * @module
 */

import { create as contentDisposition } from "content-disposition";
import { show } from "../_errors.ts";
import type { ServeZipOptions } from "./serve_zip.ts";

/** The headers `serveZip` computes itself, which `headers` may not set. */
const OWN_HEADERS = [
  "accept-ranges",
  "allow",
  "content-disposition",
  "content-length",
  "content-range",
  "content-type",
  "etag",
  "last-modified",
];

/** What `serveZip` needs of its options, every one checked. */
export interface ServedOptions {
  /** The `Content-Disposition` value. */
  readonly disposition: string;
  /** The caller's extra headers, a fresh copy for each response. */
  readonly headers: () => Headers;
  readonly maxRanges: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * Checks `options` and fills in the defaults.
 *
 * @throws {TypeError} naming the first option of the wrong type, or a
 * header in `headers` that `serveZip` sets itself.
 * @throws {RangeError} when `maxRanges` is not a positive integer.
 */
export function resolveServeOptions(options: ServeZipOptions): ServedOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot serve the archive: expected options to be an object but got ${
        show(options)
      }`,
    );
  }
  const { filename, headers = {}, maxRanges = 100, signal } = options;
  if (
    filename !== undefined &&
    // Control characters would be escaped in filename* but have no place in
    // a file name, and CR or LF in the fallback would end the header.
    (typeof filename !== "string" || filename === "" ||
      /\p{Cc}/u.test(filename))
  ) {
    fail(
      TypeError,
      "filename",
      "a non-empty string without control characters",
      filename,
    );
  }
  if (!Number.isSafeInteger(maxRanges) || maxRanges < 1) {
    fail(RangeError, "maxRanges", "a positive integer", maxRanges);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    fail(TypeError, "signal", "an AbortSignal", signal);
  }
  let extra: Headers;
  try {
    extra = new Headers(headers);
  } catch (error) {
    throw new TypeError(
      `Cannot serve the archive: expected option "headers" to be headers (a Headers, a record or pairs of names and values) but got ${
        show(headers)
      }`,
      { cause: error },
    );
  }
  for (const name of OWN_HEADERS) {
    if (extra.has(name)) {
      throw new TypeError(
        `Cannot serve the archive: expected option "headers" to leave out the headers serveZip sets (${
          OWN_HEADERS.join(", ")
        }) but it sets "${name}"`,
      );
    }
  }
  return {
    disposition: dispositionOf(filename),
    headers: () => new Headers(extra),
    maxRanges,
    signal,
  };
}

/**
 * `attachment`, with the file name when there is one: a `filename` every
 * client reads and, for a name outside ASCII, `filename*` in UTF-8 (RFC
 * 6266, RFC 8187) for those that know it, which is all current browsers,
 * curl and wget.
 */
function dispositionOf(filename: string | undefined): string {
  if (filename === undefined) return "attachment";
  // content-disposition's own fallback puts "?" for each non-ASCII
  // character, which Windows does not allow in file names; "Résumé
  // 2026.zip" reads better as "Resume 2026.zip" than as "R?sum? 2026.zip".
  const ascii = /^[\x20-\x7e]*$/.test(filename);
  return contentDisposition(filename, {
    fallback: ascii ? true : asciiFallback(filename),
  });
}

/** `name` with accents dropped and anything else outside ASCII as "_". */
function asciiFallback(name: string): string {
  return name.normalize("NFKD").replace(/\p{M}/gu, "").replace(
    /[^\x20-\x7e]/gu,
    "_",
  );
}

function fail(
  Kind: typeof TypeError | typeof RangeError,
  name: string,
  expected: string,
  value: unknown,
): never {
  throw new Kind(
    `Cannot serve the archive: expected option "${name}" to be ${expected} but got ${
      show(value)
    }`,
  );
}
