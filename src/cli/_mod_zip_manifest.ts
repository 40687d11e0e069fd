/**
 * nginx mod_zip's manifest format, read by `zipstream plan --manifest` and
 * `zipstream serve --manifest`: one line per file,
 *
 * ```text
 * 1c291ca3 428 /files/report%202026.pdf Reports/report 2026.pdf
 * - 1024 s3://my-bucket/logs/a.log logs/a.log
 * ```
 *
 * the CRC-32 as eight hex digits (or `-` when unknown), the size in bytes,
 * the location percent-encoded, and the entry name: the rest of the line,
 * spaces included. Blank lines are skipped.
 *
 * @module
 */

import { CliError } from "./_cli_error.ts";
import { parseCrc } from "./_crc_text.ts";

/** One line of a mod_zip manifest. */
export interface ModZipLine {
  /** Its number in the file, from 1, for messages. */
  line: number;
  /** `undefined` for `-`: computed from the data (or the CRC cache). */
  crc32: number | undefined;
  size: number;
  /** The location, percent-decoded: a path or `s3://bucket/key`. */
  location: string;
  name: string;
}

const LINE = /^(\S+) (\S+) (\S+) (.+)$/;

/**
 * The lines of a mod_zip manifest.
 *
 * @throws {CliError} naming `path` and the line that is not
 * `CRC32 SIZE LOCATION NAME`, and what is wrong with it
 */
export function parseModZip(text: string, path: string): ModZipLine[] {
  const lines: ModZipLine[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const content = raw.replace(/\r$/, "");
    if (content.trim() === "") continue;
    const line = index + 1;
    const fail = (expected: string, received: string): never => {
      throw new CliError(
        `Invalid manifest "${path}" line ${line}: expected ${expected} but got ${
          JSON.stringify(received)
        }`,
      );
    };
    const match = LINE.exec(content);
    if (match === null) {
      return fail('"CRC32 SIZE LOCATION NAME", separated by spaces', content);
    }
    const [, crcText = "", sizeText = "", encoded = "", name = ""] = match;
    const crc32 = crcText === "-" ? undefined : parseCrc(crcText);
    if (crc32 === undefined && crcText !== "-") {
      fail("a CRC-32 of eight hex digits or -", crcText);
    }
    const size = Number(sizeText);
    if (!/^\d+$/.test(sizeText) || !Number.isSafeInteger(size)) {
      fail("a size in bytes", sizeText);
    }
    let location: string;
    try {
      location = decodeURIComponent(encoded);
    } catch {
      return fail("a percent-encoded location", encoded);
    }
    lines.push({ line, crc32, size, location, name });
  }
  return lines;
}
