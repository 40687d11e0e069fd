/**
 * Opens encrypted archives with the readers that know WinZip AES: 7-Zip from
 * a file and bsdtar from a pipe (so libarchive cannot seek to the central
 * directory and must find each entry's end as it streams), and reads the
 * headers zipstream wrote.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type Output, runTool, withTempDir } from "../_readers.ts";

const encoder = new TextEncoder();

/** What 7-Zip reports when an entry's authentication code does not match. */
export const SEVEN_ZIP_AUTH_FAILED = /CRC Failed in encrypted file/;
/** What 7-Zip reports for a wrong password. */
export const SEVEN_ZIP_WRONG_PASSWORD = /Wrong password/;
/** What bsdtar reports for a wrong password. */
export const BSDTAR_WRONG_PASSWORD = /Incorrect passphrase/;

/** `7z t -pPASSWORD path`. */
export function testWith7z(path: string, password: string): Promise<Output> {
  return runTool("7z", ["t", `-p${password}`, path]);
}

/**
 * Every file of the archive, extracted by `extractor` into a fresh folder,
 * by name; a link as `-> target`; directories are left out.
 */
export async function extractAll(
  extractor: "7z" | "bsdtar",
  path: string,
  password: string,
): Promise<Map<string, Uint8Array>> {
  return await withTempDir(async (dir) => {
    const output = extractor === "7z"
      ? await runTool("7z", ["x", "-y", `-p${password}`, `-o${dir}`, path])
      : await runTool("bash", [
        "-c",
        'cat "$1" | bsdtar --passphrase "$2" -xf - -C "$3"',
        "bsdtar-pipe",
        path,
        password,
        dir,
      ]);
    assert.equal(
      output.code,
      0,
      `${extractor} failed:\n${output.stdout}${output.stderr}`,
    );
    const files = new Map<string, Uint8Array>();
    const walk = async (folder: string, prefix: string) => {
      for await (const child of Deno.readDir(folder)) {
        const name = `${prefix}${child.name}`;
        const path = `${folder}/${child.name}`;
        if (child.isSymlink) {
          files.set(name, encoder.encode(`-> ${await Deno.readLink(path)}`));
        } else if (child.isDirectory) {
          await walk(path, `${name}/`);
        } else {
          files.set(name, await Deno.readFile(path));
        }
      }
    };
    await walk(dir, "");
    return files;
  });
}

/** Runs bsdtar from a pipe on the archive, extracting to stdout. */
export function bsdtarPipe(path: string, password: string): Promise<Output> {
  return runTool("bash", [
    "-c",
    'cat "$1" | bsdtar --passphrase "$2" -xOf -',
    "bsdtar-pipe",
    path,
    password,
  ]);
}

/** One central directory header, as written. */
export interface CentralHeader {
  name: string;
  versionNeeded: number;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Extra fields by ID: their data. */
  extras: Map<number, Uint8Array>;
}

/**
 * The central directory headers of an archive without a comment and
 * without ZIP64 end records.
 */
export function centralHeaders(archive: Uint8Array): CentralHeader[] {
  const view = new DataView(
    archive.buffer,
    archive.byteOffset,
    archive.byteLength,
  );
  const end = archive.length - 22;
  assert.equal(view.getUint32(end, true), 0x06054b50, "end record");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const headers: CentralHeader[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(view.getUint32(at, true), 0x02014b50, "central header");
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const extras = new Map<number, Uint8Array>();
    const extraStart = at + 46 + nameLength;
    for (let e = extraStart; e < extraStart + extraLength;) {
      const length = view.getUint16(e + 2, true);
      extras.set(
        view.getUint16(e, true),
        archive.slice(e + 4, e + 4 + length),
      );
      e += 4 + length;
    }
    headers.push({
      name: new TextDecoder().decode(
        archive.subarray(at + 46, at + 46 + nameLength),
      ),
      versionNeeded: view.getUint16(at + 6, true),
      flags: view.getUint16(at + 8, true),
      method: view.getUint16(at + 10, true),
      crc32: view.getUint32(at + 16, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      extras,
    });
    at = extraStart + extraLength + commentLength;
  }
  return headers;
}
