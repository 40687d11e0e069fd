/**
 * Opens archives with independent ZIP readers and compares what each one sees
 * with what the test expects:
 *
 * - through the central directory: Info-ZIP `unzip -t`, Python's `zipfile`,
 *   `7z t`, and Java 17's `java.util.zip.ZipFile` (`readers/java.ts`);
 * - front to back from a pipe, seeing only local headers, data and data
 *   descriptors, as a network consumer does: `bsdtar`, Java 17's
 *   `java.util.zip.ZipInputStream` (`readers/java.ts`) and Node `unzipper`'s
 *   streaming `Parse` (`readers/unzipper.ts`).
 *
 * Contents are compared by size and CRC-32. Python's `zipfile`, `bsdtar`,
 * Java's readers and `unzipper` decompress each entry and hand out its bytes;
 * the harness (or the reader program, see `readers/`) computes the CRC-32 of
 * exactly those bytes itself, never taking the CRC-32 the archive's headers
 * claim, and compares it and the byte count with the CRC-32 and size of the
 * source. That catches any truncation, shift, wrong entry or corruption,
 * which is all these checks look for: CRC-32 detects every burst of up to 32
 * bits and misses any other change with probability 2^-32, and nothing here
 * is adversarial. (`unzip` and `7z` test the bytes against the archive's
 * CRC-32 themselves; the CRC-32 they list is compared with the source's.)
 * SHA-256, used before, runs at ~300 MB/s on the test machines (Python,
 * Node, Deno and Java alike, without SHA CPU extensions) against GB/s for
 * CRC-32, and made the cases over 4 GiB, read by seven readers, dominate the
 * suite's time. Contents are checked as they stream past, never buffered, so
 * multi-GiB archives and archives with 70,000+ entries go through the same
 * checks.
 *
 * One failure is expected of the Java and Node streaming readers, and
 * asserted: they cannot find the end of stored data followed by a data
 * descriptor (see {@linkcode assertOpensEverywhere}).
 *
 * @module
 */

import { AssertionError } from "node:assert/strict";
import { crc32 as nativeCrc32 } from "node:zlib";
import type { ListedEntry, ReaderListing } from "./readers/_listing.ts";
import {
  type JavaFileEntry,
  readWithJavaFile,
  readWithJavaStream,
} from "./readers/java.ts";
import { readWithUnzipper } from "./readers/unzipper.ts";

export type { JavaFileEntry, ListedEntry, ReaderListing };

/** Size and CRC-32 of an entry's uncompressed bytes. */
export interface Digest {
  size: number;
  /** CRC-32 of the bytes, unsigned. */
  crc32: number;
}

/** What a test expects one archive member to be. */
export interface ExpectedEntry {
  name: string;
  /** The member's bytes (a string means its UTF-8 encoding). */
  data?: Uint8Array | string;
  /** For contents too large to hold: their digest, see {@linkcode digestOf}. */
  digest?: Digest;
  /** @default {name ends with "/"} */
  isDirectory?: boolean;
  /** Checked when given; an absent comment must read back empty. */
  comment?: string;
  /** When given, the exact value of the upper 16 bits of the external attributes. */
  mode?: number;
}

/** An archive on disk (a path), in memory, or as a stream of its bytes. */
export type ArchiveSource = string | Uint8Array | ReadableStream<Uint8Array>;

/** One member as Python's `zipfile` reads it (central directory plus data). */
export interface PythonEntry {
  name: string;
  isDirectory: boolean;
  /** Bytes actually read (CRC checked by `zipfile` at the end of the member). */
  size: number;
  /** CRC-32 of the bytes read, computed by the reader script from them. */
  contentCrc32: number;
  fileSize: number;
  compressSize: number;
  /** The central directory's CRC-32 field. */
  crc32: number;
  compressType: number;
  /** `external_attr >> 16`: the Unix mode. */
  mode: number;
  externalAttr: number;
  createSystem: number;
  createVersion: number;
  extractVersion: number;
  flagBits: number;
  /** DOS date and time fields: year, month, day, hour, minute, second. */
  dateTime: [number, number, number, number, number, number];
  comment: string;
  /** The central directory extra field, hex encoded. */
  extra: string;
  headerOffset: number;
}

/** The whole archive as Python's `zipfile` reads it. */
export interface PythonArchive {
  comment: string;
  entries: PythonEntry[];
}

/** One member as Info-ZIP `unzip -v` and `unzip -ZT` list it. */
export interface UnzipEntry {
  name: string;
  size: number;
  crc32: number;
  /** `Stored`, `Defl:N`, ... */
  method: string;
  /** `-rw-r--r--` as zipinfo prints it (`?` first when no file type is set). */
  permissions: string;
  /** `unx`, `fat`, ... */
  hostSystem: string;
  /** zipinfo's decimal time, `yyyymmdd.hhmmss`. */
  time: string;
}

/** What Info-ZIP `unzip` reports about an archive. */
export interface UnzipArchive {
  /** The output of `unzip -t`, which exited 0 (or 1 for an empty archive). */
  testOutput: string;
  entries: UnzipEntry[];
}

/** One member as `7z l -slt` lists it (after `7z t` tested its data). */
export interface SevenZipEntry {
  /** 7-Zip drops the trailing `/` of directories. */
  path: string;
  isDirectory: boolean;
  size: number;
  crc32: number | undefined;
  comment: string;
  attributes: string;
  method: string;
  /** `yyyy-mm-dd hh:mm:ss` in UTC, from whichever time field 7-Zip trusts. */
  modified: string;
}

/** What `7z` reports about an archive. */
export interface SevenZipArchive {
  comment: string;
  entries: SevenZipEntry[];
}

/** One member as `bsdtar` streams it from a pipe. */
export interface BsdtarEntry {
  name: string;
  isDirectory: boolean;
  /** Bytes extracted for the entry. */
  size: number;
  /** CRC-32 of those bytes, computed by the harness from them. */
  contentCrc32: number;
}

/** What `bsdtar` streams from a pipe. */
export interface BsdtarArchive {
  entries: BsdtarEntry[];
  /** Bytes extracted beyond the expected sizes of the listed entries. */
  extraBytes: number;
}

/** Everything the readers saw. */
export interface ReaderResults {
  python: PythonArchive;
  unzip: UnzipArchive;
  /** Absent when the test expects 7-Zip to refuse the archive (see `OpenOptions.refusals`). */
  sevenZip: SevenZipArchive | undefined;
  /** Absent when the test expects bsdtar to refuse the archive. */
  bsdtar: BsdtarArchive | undefined;
  /**
   * Java's `ZipInputStream`, from a pipe: the entries it read, in order, and
   * the error it stopped on (expected only at a stored entry with a data
   * descriptor, or when the test expects it to refuse the archive).
   */
  javaStream: ReaderListing;
  /** Java's `ZipFile`, with the central directory's CRC-32s and sizes. */
  javaFile: ReaderListing<JavaFileEntry>;
  /** Node `unzipper`'s streaming `Parse`, from a pipe, as `javaStream`. */
  unzipper: ReaderListing;
}

/** A reader a test expects to refuse the archive, by its error's message. */
export interface Refusal {
  reader: "7z" | "bsdtar (pipe)" | "java ZipInputStream" | "unzipper Parse";
  message: RegExp;
}

/** Options of {@linkcode assertOpensEverywhere}. */
export interface OpenOptions {
  /**
   * The archive comment every reader must show.
   *
   * @default {""}
   */
  comment?: string;
  /**
   * Readers expected to refuse the archive: each must fail with a matching
   * message (and is then not compared), or the assertion fails.
   */
  refusals?: readonly Refusal[];
}

// Readers print names in the locale's encoding and dates in local time.
const TOOL_ENV = { LC_ALL: "C.UTF-8", LANG: "C.UTF-8", TZ: "UTC" };
const CHUNK = 1 << 20;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Computes size and CRC-32 of bytes given whole or as chunks, without holding
 * more than one chunk.
 */
export async function digestOf(
  data:
    | Uint8Array
    | string
    | Iterable<Uint8Array>
    | AsyncIterable<Uint8Array>,
): Promise<Digest> {
  let size = 0;
  let crc = 0;
  const chunks = typeof data === "string"
    ? [encoder.encode(data)]
    : data instanceof Uint8Array
    ? [data]
    : data;
  for await (const chunk of chunks) {
    crc = nativeCrc32(chunk, crc);
    size += chunk.length;
  }
  return { size, crc32: crc >>> 0 };
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withTempDir<T>(
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "zipstream-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Gives `fn` a path to the archive: the path itself, or a temporary file that
 * holds the bytes or the stream, removed afterwards.
 */
export async function withArchiveFile<T>(
  source: ArchiveSource,
  fn: (path: string) => Promise<T>,
): Promise<T> {
  if (typeof source === "string") return await fn(source);
  return await withTempDir(async (dir) => {
    const path = `${dir}/archive.zip`;
    if (source instanceof Uint8Array) {
      await Deno.writeFile(path, source);
    } else {
      const file = await Deno.open(path, { write: true, createNew: true });
      await source.pipeTo(file.writable);
    }
    return await fn(path);
  });
}

/** How a tool run by {@linkcode runTool} ended, its output decoded. */
export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a reader or extractor with a UTF-8 locale and UTC, no input. */
export async function runTool(
  command: string,
  args: string[],
): Promise<Output> {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    env: TOOL_ENV,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

/** The end of a tool's output, without the lines that report success. */
function lastLines(text: string, count = 15): string {
  const lines = text.trimEnd().split("\n").filter((line) =>
    !/^\s+testing: .*\s+OK$/.test(line) && !/^x [^:]*$/.test(line)
  );
  const shown = lines.slice(-count).join("\n");
  return lines.length > count ? `...\n${shown}` : shown;
}

function failed(what: string, output: Output): Error {
  return new Error(
    `${what} exited with code ${output.code}\n${
      lastLines(output.stdout + output.stderr)
    }`,
  );
}

// Reading each member to its end makes zipfile compare the CRC-32 of the data
// with the central directory (the check `testzip()` relies on) and compare
// the local header's name with the central directory's. The script computes
// the CRC-32 of the bytes zipfile hands out itself ("contentCrc32"), so the
// contents are checked against the source, not against the archive's claim.
const PYTHON_READER = `
import json, sys, zipfile, zlib

def text(raw):
    return raw.decode("utf-8", "replace")

entries = []
with zipfile.ZipFile(sys.argv[1]) as archive:
    for info in archive.infolist():
        crc = 0
        size = 0
        with archive.open(info) as member:
            while True:
                chunk = member.read(${CHUNK})
                if not chunk:
                    break
                crc = zlib.crc32(chunk, crc)
                size += len(chunk)
        entries.append({
            "name": info.filename,
            "isDirectory": info.is_dir(),
            "size": size,
            "contentCrc32": crc,
            "fileSize": info.file_size,
            "compressSize": info.compress_size,
            "crc32": info.CRC,
            "compressType": info.compress_type,
            "mode": info.external_attr >> 16,
            "externalAttr": info.external_attr,
            "createSystem": info.create_system,
            "createVersion": info.create_version,
            "extractVersion": info.extract_version,
            "flagBits": info.flag_bits,
            "dateTime": list(info.date_time),
            "comment": text(info.comment),
            "extra": info.extra.hex(),
            "headerOffset": info.header_offset,
        })
    comment = text(archive.comment)
sys.stdout.write(json.dumps({"comment": comment, "entries": entries}))
`;

/** Reads every member with Python's `zipfile`, taking the CRC-32 of its contents. */
export async function readWithPython(path: string): Promise<PythonArchive> {
  const output = await runTool("python3", ["-c", PYTHON_READER, path]);
  if (output.code !== 0) throw failed("python3 zipfile", output);
  return JSON.parse(output.stdout) as PythonArchive;
}

const UNZIP_LISTING =
  /^\s*(\d+)\s+(\S+)\s+(\d+)\s+(-?\d+%)\s+(\S+)\s+(\S+)\s+([0-9a-f]{8}) {2}(.*)$/;
const ZIPINFO_LINE =
  /^(\S{10})\s+\d+\.\d+\s+(\S+)\s+(\d+)\s+\S\S\s+\S+\s+(\d{8}\.\d{6}) (.*)$/;

function isEmptyArchiveWarning(output: Output): boolean {
  return output.code === 1 &&
    /zipfile is empty/.test(output.stdout + output.stderr);
}

/**
 * Tests the archive with `unzip -t` (every member's data against its CRC-32)
 * and lists sizes, CRC-32s, methods and modes with `unzip -v` and `unzip -ZT`.
 * Info-ZIP warns (exit code 1) on an archive without entries; that alone is
 * accepted.
 */
export async function testWithUnzip(path: string): Promise<UnzipArchive> {
  const test = await runTool("unzip", ["-t", path]);
  if (test.code !== 0 && !isEmptyArchiveWarning(test)) {
    throw failed("unzip -t", test);
  }
  if (test.code !== 0) return { testOutput: test.stdout, entries: [] };
  const verbose = await runTool("unzip", ["-v", path]);
  if (verbose.code !== 0) throw failed("unzip -v", verbose);
  const zipinfo = await runTool("unzip", ["-ZT", path]);
  if (zipinfo.code !== 0) throw failed("unzip -ZT", zipinfo);

  const lines = verbose.stdout.split("\n");
  const header = lines.findIndex((line) => /^ Length\s+Method/.test(line));
  const rows: RegExpExecArray[] = [];
  for (const line of lines.slice(header + 2)) {
    if (line.startsWith("--------")) break;
    // Other lines are entry comments; the count is checked against zipinfo.
    const row = UNZIP_LISTING.exec(line);
    if (row !== null) rows.push(row);
  }
  const infos = zipinfo.stdout.split("\n").map((line) =>
    ZIPINFO_LINE.exec(line)
  ).filter((row) => row !== null);
  if (infos.length !== rows.length) {
    throw new Error(
      `unzip -v listed ${rows.length} entries but unzip -ZT listed ${infos.length}`,
    );
  }
  const entries = rows.map((row, i): UnzipEntry => {
    const info = infos[i]!;
    return {
      name: row[8]!,
      size: Number(row[1]),
      crc32: parseInt(row[7]!, 16),
      method: row[2]!,
      permissions: info[1]!,
      hostSystem: info[2]!,
      time: info[4]!,
    };
  });
  return { testOutput: test.stdout, entries };
}

function parseSlt(text: string): Map<string, string>[] {
  const blocks: Map<string, string>[] = [];
  let block = new Map<string, string>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "" || line === "----------") {
      if (block.size > 0) blocks.push(block);
      block = new Map();
      continue;
    }
    const eq = line.indexOf(" = ");
    const key = eq === -1 ? line.replace(/ =$/, "") : line.slice(0, eq);
    let value = eq === -1 ? "" : line.slice(eq + 3);
    // 7-Zip prints a multi-line value as "Key = " then the lines in braces.
    if (value === "" && lines[i + 1] === "{") {
      const end = lines.indexOf("}", i + 2);
      value = lines.slice(i + 2, end).join("\n");
      i = end;
    }
    block.set(key, value);
  }
  if (block.size > 0) blocks.push(block);
  return blocks;
}

/**
 * Tests the archive with `7z t` (exit code 0, "Everything is Ok", no
 * warnings) and lists it with `7z l -slt`.
 */
export async function testWith7z(path: string): Promise<SevenZipArchive> {
  const test = await runTool("7z", ["t", path]);
  if (
    test.code !== 0 || !test.stdout.includes("Everything is Ok") ||
    /warning/i.test(test.stdout + test.stderr)
  ) {
    throw failed("7z t", test);
  }
  const list = await runTool("7z", ["l", "-slt", path]);
  if (list.code !== 0) throw failed("7z l -slt", list);
  const separator = list.stdout.indexOf("\n----------\n");
  const archiveBlock = list.stdout.slice(
    list.stdout.indexOf("\n--\n") + 4,
    separator,
  );
  const comment = parseSlt(archiveBlock)[0]?.get("Comment") ?? "";
  const entries = parseSlt(list.stdout.slice(separator + 1)).map(
    (block): SevenZipEntry => {
      const crc = block.get("CRC") ?? "";
      return {
        path: block.get("Path") ?? "",
        isDirectory: block.get("Folder") === "+",
        size: Number(block.get("Size")),
        crc32: crc === "" ? undefined : parseInt(crc, 16),
        comment: block.get("Comment") ?? "",
        attributes: block.get("Attributes") ?? "",
        method: block.get("Method") ?? "",
        modified: block.get("Modified") ?? "",
      };
    },
  );
  return { comment, entries };
}

/**
 * Cuts standard input into slices of the sizes listed as JSON in the file
 * argv[1] (70,000 of them are more than one argument may hold) and prints the
 * size and CRC-32 of each, and the bytes past the last, as JSON.
 */
const SLICE_CRC32 = `
import json, sys, zlib
with open(sys.argv[1]) as listed:
    slices = [{"want": want, "size": 0, "crc": 0} for want in json.load(listed)]
extra = 0
current = 0
while True:
    chunk = sys.stdin.buffer.read(${CHUNK})
    if not chunk:
        break
    view = memoryview(chunk)
    while len(view) > 0:
        while current < len(slices) and slices[current]["size"] >= slices[current]["want"]:
            current += 1
        if current == len(slices):
            extra += len(view)
            break
        piece = slices[current]
        take = min(len(view), piece["want"] - piece["size"])
        piece["crc"] = zlib.crc32(view[:take], piece["crc"])
        piece["size"] += take
        view = view[take:]
sys.stdout.write(json.dumps({"slices": slices, "extraBytes": extra}))
`;

/**
 * Feeds the archive through a pipe (`cat`) into `bsdtar -xvOf -`, whose
 * output goes through another pipe to a Python script that takes the CRC-32
 * of each entry's slice; it prints bsdtar's exit code on standard error.
 * The bytes never pass through this process: through it, the pipes of a
 * 4 GiB archive cost more than bsdtar itself. `-b 2048` has bsdtar read the
 * pipe 1 MiB at a time instead of 10 KiB, which halves its time.
 */
const BSDTAR_PIPELINE =
  'cat -- "$0" | { bsdtar -b 2048 -xvOf -; echo "bsdtar exited with $?" >&2; } | python3 -c "$1" "$2"';

/**
 * Streams the archive through a pipe into `bsdtar -xvOf -`, which therefore
 * reads only local headers, data and data descriptors, as a network consumer
 * would: it prints each name (`x name`) on stderr and the contents of all
 * files back to back on stdout. From a pipe, bsdtar cannot know the size of
 * an entry followed by a data descriptor before it has read it (nor print
 * the name's line end before the data), so the contents are cut by the sizes
 * the test expects, in archive order: any lost, extra or changed byte changes
 * the CRC-32 of the entry where it happens, and extra bytes are counted.
 * libarchive turns names into NFC as it converts them to the locale, so the
 * names it returns are NFC.
 *
 * @param sizes the expected uncompressed size of each entry, in archive
 * order, 0 for directories
 */
export async function readWithBsdtarPipe(
  path: string,
  sizes: readonly number[],
): Promise<BsdtarArchive> {
  const output = await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/sizes.json`, JSON.stringify(sizes));
    return await runTool("bash", [
      "-c",
      BSDTAR_PIPELINE,
      path,
      SLICE_CRC32,
      `${dir}/sizes.json`,
    ]);
  });
  const exit = /^bsdtar exited with (\d+)$/m.exec(output.stderr);
  const stderr = output.stderr.replace(/^bsdtar exited with \d+\n/m, "");
  if (exit === null || output.code !== 0) {
    throw failed("bsdtar -xvOf - (from a pipe) | python3 slices", output);
  }
  if (exit[1] !== "0") {
    throw failed("bsdtar -xvOf - (from a pipe)", {
      code: Number(exit[1]),
      stdout: "",
      stderr,
    });
  }
  const { slices, extraBytes } = JSON.parse(output.stdout) as {
    slices: { size: number; crc: number }[];
    extraBytes: number;
  };
  const names = stderr.split("\n").filter((line) => line.startsWith("x "))
    .map((line) => line.slice(2));
  return {
    entries: names.map((name, i) => {
      const slice = slices[i];
      return {
        name,
        isDirectory: name.endsWith("/"),
        size: slice?.size ?? 0,
        contentCrc32: (slice?.crc ?? 0) >>> 0,
      };
    }),
    extraBytes,
  };
}

/** Renders a Unix mode the way zipinfo does, e.g. `-rw-r--r--`. */
export function permissionString(mode: number): string {
  const types: Record<number, string> = {
    0o010000: "p",
    0o020000: "c",
    0o040000: "d",
    0o060000: "b",
    0o100000: "-",
    0o120000: "l",
    0o140000: "s",
  };
  const type = types[mode & 0o170000] ?? "?";
  const bit = (mask: number, char: string) => (mode & mask) ? char : "-";
  const exec = (mask: number, special: number, on: string, off: string) =>
    (mode & special) ? ((mode & mask) ? on : off) : ((mode & mask) ? "x" : "-");
  return type +
    bit(0o400, "r") + bit(0o200, "w") + exec(0o100, 0o4000, "s", "S") +
    bit(0o040, "r") + bit(0o020, "w") + exec(0o010, 0o2000, "s", "S") +
    bit(0o004, "r") + bit(0o002, "w") + exec(0o001, 0o1000, "t", "T");
}

/** JSON-quotes a name, spelling out non-ASCII code points so that look-alikes differ. */
function quote(name: string | undefined): string {
  if (name === undefined) return "none";
  const plain = JSON.stringify(name);
  if (/^[ -~]*$/.test(name)) return plain;
  const escaped = [...name].map((char) => {
    const code = char.codePointAt(0)!;
    return code >= 0x20 && code < 0x7f ? char : `\\u{${code.toString(16)}}`;
  }).join("");
  return `${plain} (${escaped})`;
}

function hex32(value: number | undefined): string {
  return value === undefined
    ? "none"
    : `0x${value.toString(16).padStart(8, "0")}`;
}

interface Want {
  name: string;
  isDirectory: boolean;
  digest: Digest;
  comment: string;
  mode: number | undefined;
}

async function wantOf(entry: ExpectedEntry): Promise<Want> {
  const isDirectory = entry.isDirectory ?? entry.name.endsWith("/");
  const digest = entry.digest ?? await digestOf(entry.data ?? "");
  return {
    name: entry.name,
    isDirectory,
    digest,
    comment: entry.comment ?? "",
    mode: entry.mode,
  };
}

class Problems {
  readonly list: string[] = [];
  add(reader: string, entry: string | undefined, message: string) {
    this.list.push(
      entry === undefined
        ? `${reader}: ${message}`
        : `${reader}: entry ${quote(entry)}: ${message}`,
    );
  }
  check(
    reader: string,
    entry: string | undefined,
    what: string,
    actual: unknown,
    expected: unknown,
  ) {
    if (actual !== expected) {
      this.add(
        reader,
        entry,
        `${what} is ${JSON.stringify(actual)}, expected ${
          JSON.stringify(expected)
        }`,
      );
    }
  }
  /** Compares listing order and membership; returns the entries by name. */
  listing<T>(
    reader: string,
    actual: readonly T[],
    nameOf: (entry: T) => string,
    expected: readonly string[],
  ): Map<string, T> {
    const names = actual.map(nameOf);
    const index = names.findIndex((name, i) => name !== expected[i]);
    if (index !== -1 || names.length !== expected.length) {
      const at = index === -1 ? Math.min(names.length, expected.length) : index;
      this.add(
        reader,
        undefined,
        `lists ${names.length} entries, expected ${expected.length}; first difference at #${at}: ${
          quote(names[at])
        }, expected ${quote(expected[at])}`,
      );
    }
    const byName = new Map<string, T>();
    for (const entry of actual) byName.set(nameOf(entry), entry);
    return byName;
  }
}

function comparePython(
  problems: Problems,
  python: PythonArchive,
  wants: readonly Want[],
  archiveComment: string,
) {
  const reader = "python zipfile";
  problems.check(
    reader,
    undefined,
    "archive comment",
    python.comment,
    archiveComment,
  );
  const byName = problems.listing(
    reader,
    python.entries,
    (e) => e.name,
    wants.map((w) => w.name),
  );
  for (const want of wants) {
    const entry = byName.get(want.name);
    if (entry === undefined) continue;
    const check = problems.check.bind(problems, reader, want.name);
    check("is_dir()", entry.isDirectory, want.isDirectory);
    check("file_size", entry.fileSize, want.digest.size);
    check("bytes read", entry.size, want.digest.size);
    check(
      "content CRC-32",
      hex32(entry.contentCrc32),
      hex32(want.digest.crc32),
    );
    check("comment", entry.comment, want.comment);
    if (want.mode !== undefined) {
      check(
        "external_attr >> 16",
        `0o${entry.mode.toString(8)}`,
        `0o${want.mode.toString(8)}`,
      );
    }
  }
}

function compareUnzip(
  problems: Problems,
  unzip: UnzipArchive,
  wants: readonly Want[],
) {
  const reader = "unzip";
  const byName = problems.listing(
    reader,
    unzip.entries,
    (e) => e.name,
    wants.map((w) => w.name),
  );
  for (const want of wants) {
    const entry = byName.get(want.name);
    if (entry === undefined) continue;
    const check = problems.check.bind(problems, reader, want.name);
    check("length", entry.size, want.digest.size);
    check("CRC-32", hex32(entry.crc32), hex32(want.digest.crc32));
    if (want.mode !== undefined) {
      check(
        "zipinfo permissions",
        entry.permissions,
        permissionString(want.mode),
      );
    }
  }
}

function compare7z(
  problems: Problems,
  sevenZip: SevenZipArchive,
  wants: readonly Want[],
  archiveComment: string,
) {
  const reader = "7z";
  // 7-Zip shows an empty comment only when the archive has one.
  if (archiveComment !== "") {
    problems.check(
      reader,
      undefined,
      "archive comment",
      sevenZip.comment,
      archiveComment,
    );
  }
  const path = (name: string) => name.replace(/\/$/, "");
  const byName = problems.listing(
    reader,
    sevenZip.entries,
    (e) => e.path,
    wants.map((w) => path(w.name)),
  );
  for (const want of wants) {
    const entry = byName.get(path(want.name));
    if (entry === undefined) continue;
    const check = problems.check.bind(problems, reader, want.name);
    check("folder", entry.isDirectory, want.isDirectory);
    check("size", entry.size, want.digest.size);
    if (!want.isDirectory) {
      check("CRC", hex32(entry.crc32), hex32(want.digest.crc32));
    }
    check("comment", entry.comment, want.comment);
  }
}

function compareBsdtar(
  problems: Problems,
  bsdtar: BsdtarArchive,
  wants: readonly Want[],
) {
  const reader = "bsdtar (pipe)";
  if (bsdtar.extraBytes > 0) {
    problems.add(
      reader,
      undefined,
      `extracted ${bsdtar.extraBytes} bytes beyond the expected sizes of the entries`,
    );
  }
  const byName = problems.listing(
    reader,
    bsdtar.entries,
    (e) => e.name,
    wants.map((w) => w.name.normalize("NFC")),
  );
  for (const want of wants) {
    const entry = byName.get(want.name.normalize("NFC"));
    if (entry === undefined) continue;
    const check = problems.check.bind(problems, reader, want.name);
    check("directory", entry.isDirectory, want.isDirectory);
    check(
      "bytes extracted",
      entry.size,
      want.isDirectory ? 0 : want.digest.size,
    );
    check(
      "content CRC-32",
      hex32(entry.contentCrc32),
      hex32(want.isDirectory ? 0 : want.digest.crc32),
    );
  }
}

/**
 * Asserts that Info-ZIP `unzip`, Python `zipfile`, `7z`, Java's `ZipFile`,
 * and from a pipe `bsdtar`, Java's `ZipInputStream` and `unzipper`'s `Parse`
 * all open the archive without complaint and see exactly `expected`: the
 * same names in the same order, directories as directories, and the same
 * contents (size and CRC-32, computed by the harness from the bytes where the
 * reader hands them out, as the reader reports them where it tests the bytes
 * against the archive's CRC itself), comments and, when given,
 * modes. The streaming readers may stop only where they cannot help it, at a
 * stored entry with a data descriptor, and must then stop as asserted (see
 * {@linkcode compareStreaming}). Returns what the readers saw, for further
 * checks.
 *
 * @throws {AssertionError} listing every refusal and difference, naming the
 * reader and the entry
 */
export async function assertOpensEverywhere(
  archive: ArchiveSource,
  expected: readonly ExpectedEntry[],
  options: OpenOptions = {},
): Promise<ReaderResults> {
  const { comment = "", refusals = [] } = options;
  const wants: Want[] = [];
  for (const entry of expected) wants.push(await wantOf(entry));
  const sizes = wants.map((want) => want.isDirectory ? 0 : want.digest.size);
  return await withArchiveFile(archive, async (path) => {
    const problems = new Problems();
    const attempt = async <T>(reading: Promise<T>) => {
      try {
        return await reading;
      } catch (error) {
        problems.list.push(
          error instanceof Error ? error.message : String(error),
        );
        return undefined;
      }
    };
    const sevenZipRefusal = refusals.find((r) => r.reader === "7z");
    const bsdtarRefusal = refusals.find((r) => r.reader === "bsdtar (pipe)");
    const [python, unzip, sevenZip, bsdtar, javaStream, javaFile, unzipper] =
      await Promise.all([
        attempt(readWithPython(path)),
        attempt(testWithUnzip(path)),
        sevenZipRefusal === undefined
          ? attempt(testWith7z(path))
          : expectRefusal(problems, sevenZipRefusal, testWith7z(path)),
        bsdtarRefusal === undefined
          ? attempt(readWithBsdtarPipe(path, sizes))
          : expectRefusal(
            problems,
            bsdtarRefusal,
            readWithBsdtarPipe(path, sizes),
          ),
        attempt(readWithJavaStream(path)),
        attempt(readWithJavaFile(path)),
        attempt(readWithUnzipper(path)),
      ]);
    if (python !== undefined) comparePython(problems, python, wants, comment);
    if (unzip !== undefined) compareUnzip(problems, unzip, wants);
    if (sevenZip !== undefined) compare7z(problems, sevenZip, wants, comment);
    if (bsdtar !== undefined) compareBsdtar(problems, bsdtar, wants);
    if (javaFile !== undefined) compareJavaFile(problems, javaFile, wants);
    const streaming = {
      "java ZipInputStream": javaStream,
      "unzipper Parse": unzipper,
    };
    for (const [reader, listing] of Object.entries(streaming)) {
      if (listing === undefined) continue;
      const refusal = refusals.find((r) => r.reader === reader);
      if (refusal !== undefined) {
        // Where the reader gives up is its own affair: what it read before
        // must be right.
        compareRefused(problems, refusal, listing, wants);
      } else {
        compareStreaming(
          problems,
          reader,
          listing,
          wants,
          storedWithDescriptor(python),
        );
      }
    }
    if (
      problems.list.length > 0 || python === undefined || unzip === undefined ||
      (bsdtar === undefined && bsdtarRefusal === undefined) ||
      javaStream === undefined ||
      javaFile === undefined || unzipper === undefined
    ) {
      const shown = problems.list.slice(0, 30);
      if (problems.list.length > shown.length) {
        shown.push(`... and ${problems.list.length - shown.length} more`);
      }
      throw new AssertionError({
        message: `The readers do not all open the expected archive:\n${
          shown.join("\n")
        }`,
      });
    }
    return {
      python,
      unzip,
      sevenZip,
      bsdtar,
      javaStream,
      javaFile,
      unzipper,
    };
  });
}

/** Waits for a reader that must fail with `refusal.message`; records a problem otherwise. */
async function expectRefusal<T>(
  problems: Problems,
  refusal: Refusal,
  reading: Promise<T>,
): Promise<undefined> {
  try {
    await reading;
    problems.add(
      refusal.reader,
      undefined,
      `opened the archive, expected it to refuse it with ${refusal.message}`,
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!refusal.message.test(message)) {
      problems.add(
        refusal.reader,
        undefined,
        `failed with ${JSON.stringify(message)}, expected ${refusal.message}`,
      );
    }
  }
  return undefined;
}

/**
 * Compares the entries a reader listed, in order, with `wants`: names,
 * directories, and the bytes it read. Returns the entries by name.
 */
function compareListed<E extends ListedEntry>(
  problems: Problems,
  reader: string,
  entries: readonly E[],
  wants: readonly Want[],
): Map<string, E> {
  const byName = problems.listing(
    reader,
    entries,
    (e) => e.name,
    wants.map((w) => w.name),
  );
  for (const want of wants) {
    const entry = byName.get(want.name);
    if (entry === undefined) continue;
    const check = problems.check.bind(problems, reader, want.name);
    check("directory", entry.isDirectory, want.isDirectory);
    check("bytes read", entry.size, want.digest.size);
    check(
      "content CRC-32",
      hex32(entry.contentCrc32),
      hex32(want.digest.crc32),
    );
  }
  return byName;
}

function compareJavaFile(
  problems: Problems,
  javaFile: ReaderListing<JavaFileEntry>,
  wants: readonly Want[],
) {
  const reader = "java ZipFile";
  if (javaFile.error !== undefined) {
    problems.add(reader, undefined, `failed: ${javaFile.error}`);
  }
  const byName = compareListed(problems, reader, javaFile.entries, wants);
  for (const want of wants) {
    const entry = byName.get(want.name);
    if (entry === undefined) continue;
    const check = problems.check.bind(problems, reader, want.name);
    check("central directory size", entry.declaredSize, want.digest.size);
    check(
      "central directory CRC-32",
      hex32(entry.crc32),
      hex32(want.digest.crc32),
    );
  }
}

/** A reader the test expects to refuse the archive, after the entries it read right. */
function compareRefused(
  problems: Problems,
  refusal: Refusal,
  listing: ReaderListing,
  wants: readonly Want[],
) {
  if (!refusal.message.test(listing.error ?? "")) {
    problems.add(
      refusal.reader,
      undefined,
      `ended with ${
        JSON.stringify(listing.error ?? "no error")
      }, expected an error matching ${refusal.message}`,
    );
  }
  const read = wants.slice(0, listing.entries.length);
  compareListed(problems, refusal.reader, listing.entries, read);
}

/**
 * The positions of the entries stored (method 0) with a data descriptor
 * (flag bit 3), by the central directory as Python reads it.
 */
function storedWithDescriptor(python: PythonArchive | undefined): number[] {
  const positions: number[] = [];
  python?.entries.forEach((entry, i) => {
    if (entry.compressType === 0 && (entry.flagBits & 0x0008) !== 0) {
      positions.push(i);
    }
  });
  return positions;
}

/** What `ZipInputStream` throws at the header of stored data with a descriptor. */
const JAVA_STORED_DESCRIPTOR =
  /^java\.util\.zip\.ZipException: only DEFLATED entries can have EXT descriptor$/;

/** What `unzipper` says when the input ends before the signature it scans for. */
const UNZIPPER_NO_SIGNATURE = /^Error: FILE_ENDED$/;

/**
 * Compares what a streaming reader read with `wants`, allowing the one
 * failure a front-to-back reader cannot avoid: a stored entry followed by a
 * data descriptor declares no size where its data starts, and stored data
 * has no end marker of its own.
 *
 * - Java's `ZipInputStream` does not try: it throws `ZipException: only
 *   DEFLATED entries can have EXT descriptor` at such an entry's local
 *   header. So it must read every entry before the first one right, then
 *   stop there with that error.
 * - `unzipper` scans the data for the descriptor's signature (`PK\x07\x08`)
 *   and then reads a 16-byte descriptor. It reads such an entry right unless
 *   its bytes contain the signature: it cuts the entry short there (and then
 *   mostly fails on the bytes after the false descriptor), or, finding no
 *   signature, fails with `FILE_ENDED` without listing the entry. Either is
 *   allowed at any such entry; everything before must be right, and after it
 *   nothing is compared. Otherwise it must read everything: a failure just
 *   after a stored entry it read right (say, on a 24-byte ZIP64 descriptor,
 *   of which it reads 16 bytes) is a failure.
 */
function compareStreaming(
  problems: Problems,
  reader: string,
  listing: ReaderListing,
  wants: readonly Want[],
  stored: readonly number[],
) {
  const { entries, error } = listing;
  const first = stored[0];
  if (reader === "java ZipInputStream" && first !== undefined) {
    compareListed(problems, reader, entries, wants.slice(0, first));
    if (!JAVA_STORED_DESCRIPTOR.test(error ?? "")) {
      problems.add(
        reader,
        wants[first]?.name,
        `is stored with a data descriptor: expected the reader to stop there with ${JAVA_STORED_DESCRIPTOR}, it ended with ${
          JSON.stringify(error ?? "no error")
        }`,
      );
    }
    return;
  }
  if (reader === "unzipper Parse") {
    const last = entries.length - 1;
    const cutShort = stored.includes(last) &&
      entries[last]!.name === wants[last]?.name &&
      entries[last]!.size < wants[last]!.digest.size;
    const lost = stored.includes(entries.length) &&
      UNZIPPER_NO_SIGNATURE.test(error ?? "");
    if (cutShort || lost) {
      const read = cutShort ? last : entries.length;
      compareListed(
        problems,
        reader,
        entries.slice(0, read),
        wants.slice(0, read),
      );
      return;
    }
  }
  if (error !== undefined) problems.add(reader, undefined, `failed: ${error}`);
  compareListed(problems, reader, entries, wants);
}
