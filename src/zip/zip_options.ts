/**
 * Archive-wide settings.
 *
 * @module
 */

import type { CompressionMethod } from "./zip_entry.ts";
import type { ResumePoint, WrittenEntry } from "./written_entry.ts";

/** What became of an archive's deflate workers: see {@linkcode ZipOptions.onWorkers}. */
export type WorkerStatus =
  | {
    /** At least one worker is ready; `workers` were started. */
    state: "running";
    workers: number;
  }
  | {
    /** No worker could start: blocks are compressed in the calling thread. */
    state: "unavailable";
    reason: Error;
  };

/**
 * Options that apply to the whole archive and give entries their defaults.
 *
 * @example A reproducible, fast archive with a comment
 * ```ts
 * import assert from "node:assert/strict";
 * import { zip, type ZipOptions } from "@zipstream/zipstream";
 *
 * const options: ZipOptions = {
 *   level: 1,
 *   comment: "nightly export",
 *   lastModified: new Date("2026-01-01T00:00:00Z"),
 * };
 * const first = await new Response(zip([{ name: "a.txt", data: "a" }], options)).bytes();
 * const again = await new Response(zip([{ name: "a.txt", data: "a" }], options)).bytes();
 * assert.deepEqual(first, again);
 * ```
 *
 * @example Links that could lead out of the extraction folder, only by name
 * ```ts
 * import assert from "node:assert/strict";
 * import { zip, type ZipEntry } from "@zipstream/zipstream";
 *
 * const link: ZipEntry = { name: "config", data: "/etc", mode: 0o120777 };
 * await assert.rejects(new Response(zip([link])).arrayBuffer(), TypeError);
 * const allowed = zip([link], { allowEscapingSymlinks: true });
 * assert.ok((await new Response(allowed).arrayBuffer()).byteLength > 0);
 * ```
 */
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
  /**
   * Called once each entry has been written, with what the central directory
   * records of it. Keep these to resume the archive later.
   */
  onEntry?: (entry: WrittenEntry) => void;
  /**
   * Produce the archive from `resume.offset` on, skipping the data of the
   * entries recorded in `resume.entries` that end before it. The bytes are
   * those a full run would produce from that offset, provided the entries
   * and options are the same; an encrypted archive also needs the same
   * `saltKey` (without one, resuming is refused: up front with a
   * `password`, else at the first encrypted entry written again).
   */
  resume?: ResumePoint;
  /**
   * How many Web Workers (0 to 64) deflate: the blocks of streamed entries
   * (independent 1 MiB blocks whose outputs are joined in order), and the
   * entries given whole (bytes or strings) after the one being written,
   * which the archive reads ahead within 8 MiB and sends in batches, each
   * entry compressed on its own as in the calling thread, which compresses
   * alongside. The archive's bytes are the same with any number. Workers
   * start only when an entry fills its second block, or when entries given
   * whole with 2 MiB of data between them wait, so small archives never
   * start one, and all are terminated when the archive ends, fails or is
   * cancelled. Each holds at most 2 blocks or batches at a time, so the work
   * in flight stays bounded. With no workers, entries are pulled one at a
   * time, only when the archive reaches them. Memory is bounded too but
   * higher: each worker has its own JavaScript heap, and buffers that
   * crossed threads are freed late by the garbage collector (figures in
   * bench/README.md, "Deflate workers" and "A tree against zip"). `0`
   * compresses in the calling thread, for the smallest footprint. Workers
   * run from a `blob:` URL made of the library's own code, so they start
   * wherever the library was bundled or loaded from. Where they cannot
   * start (no `Worker`, as in Node and Service Workers; a page whose
   * Content-Security-Policy refuses `blob:` workers) blocks are compressed
   * in the calling thread instead, and {@linkcode ZipOptions.onWorkers} says
   * so. A worker that fails while compressing fails the archive, with an
   * error naming the entry.
   *
   * @default {navigator.hardwareConcurrency, at most 4; 0 with a single core}
   */
  workers?: number;
  /**
   * Told once per archive what became of its deflate workers, when enough
   * work to use them first arrives (see {@linkcode ZipOptions.workers}):
   * `"running"` once one is ready, or `"unavailable"` with the reason when
   * none can start (the archive is then compressed in the calling thread:
   * the same bytes, more slowly). Not called when no entry needs workers or
   * `workers` is 0. If it throws, the archive fails with an error that says
   * so, its `cause` what was thrown.
   *
   * @example Seeing whether compression runs in workers
   * ```ts
   * import { zip, type WorkerStatus } from "@zipstream/zipstream";
   *
   * let status: WorkerStatus | undefined;
   * const big = new Uint8Array(4 * 1024 * 1024).fill(7);
   * const archive = zip(
   *   [{ name: "big.bin", data: new Blob([big]).stream() }],
   *   { workers: 2, onWorkers: (reported) => status = reported },
   * );
   * await new Response(archive).arrayBuffer();
   * if (status?.state === "unavailable") {
   *   console.warn(`compressed without workers: ${status.reason.message}`);
   * }
   * ```
   */
  onWorkers?: (status: WorkerStatus) => void;
  /**
   * Copy stored bytes that the caller could write to again before handing
   * them to the archive's reader: data given as an array, and the chunks of
   * iterables and of streams other than byte streams. A source may then
   * refill one buffer for every chunk, as pooled readers do, and a reader
   * that holds chunks a while (a file's `pipeTo` reads ahead) still gets
   * the right bytes. Chunks of `Blob`s and of byte streams (`type:
   * "bytes"`: the streams of files, sockets and `fetch` bodies) are never
   * copied, since the stream owns them; nor is deflated output. Data given
   * whole to be deflated is copied too when the archive still holds it as it
   * pulls the next entry (it reads ahead for deflate workers). `false`
   * hands every chunk on as it is, which saves a copy of each stored byte
   * (see bench/README.md for what it costs), and is safe only when no source
   * writes to a chunk or a data array after giving it.
   *
   * @default {true}
   */
  copyChunks?: boolean;
  /**
   * The time zone of the entries' MS-DOS date and time fields, which hold
   * wall-clock time with no zone: `"UTC"`, `"local"` (the zone of the
   * runtime writing the archive) or an IANA name such as `"Europe/Paris"`.
   * Every entry also carries its exact time as a Unix timestamp (the
   * extended-timestamp field, for times from 1970 to 2038), which Info-ZIP
   * and 7-Zip show in the reader's own zone whatever this says. Readers
   * that look only at the DOS fields, such as Python's `zipfile`, show the
   * DOS time as it is, so with the default they show UTC: set the zone of the
   * people who will open the archive for them to see their local time. `"local"`
   * makes the archive's bytes depend on the machine that writes it.
   *
   * @default {"UTC"}
   */
  timeZone?: string;
  /**
   * **Dangerous.** Store symbolic links whose target could point outside
   * the folder the archive is extracted into. A link is an entry whose
   * `mode` has the link file type (`0o120000`); its data is its target,
   * resolved by extractors against the link's own folder. By default the
   * archive fails with a `TypeError` naming the link and its target when
   * the target is absolute (`/etc`, `C:\x`, `\\server\share`), holds a
   * backslash (a separator on Windows), climbs above the archive's root
   * (`a/link` → `../../x`, while `a/link` → `../b` stays inside) or has a
   * `..` after a folder name (`up/..`, which the file system resolves from
   * wherever `up` leads, and `up` may be a link).
   *
   * Info-ZIP `unzip` and bsdtar create such links as they are (7-Zip
   * refuses targets with `..` and moves absolute ones inside, Python's
   * `zipfile` writes targets as files): whoever later writes or reads
   * through the link, a web server serving the extracted files or a build
   * copying them, reaches outside. Allow them only for archives that a
   * trusted tool restores into a known place, such as a backup of a whole
   * system. Whatever this says, a link's target must be given up front (a
   * string or bytes, not a stream), non-empty, valid UTF-8 without NUL, and
   * no entry may lie beneath a link of the same archive.
   *
   * @default {false}
   */
  allowEscapingSymlinks?: boolean;
  /**
   * Encrypt every file entry with WinZip AES-256 under this password (its
   * UTF-8 bytes), unless the entry says otherwise (`ZipEntry.password`).
   * Directories and symbolic links stay plain, as 7-Zip writes them; names,
   * comments, times and sizes are never encrypted. Each entry gets its own
   * salt and keys (PBKDF2-HMAC-SHA1, 1,000 iterations, about 0.3 ms of one
   * core per entry), its data is deflated or stored first and then
   * encrypted chunk by chunk, and it stores 28 bytes more (salt, password
   * verifier, authentication code), so `predictLength` stays exact.
   * 7-Zip, bsdtar (libarchive), WinZip and pyzipper open such archives;
   * Info-ZIP `unzip` 6.0, Windows Explorer and Python's `zipfile` do not.
   * The password is never part of an error message or of `onEntry`'s
   * records.
   *
   * @example An encrypted archive with one entry left plain
   * ```ts
   * import assert from "node:assert/strict";
   * import { zip } from "@zipstream/zipstream";
   *
   * const archive = zip([
   *   { name: "secret.txt", data: "the plans" },
   *   { name: "README.txt", data: "ask Ann for the password", password: false },
   * ], { password: "correct horse battery staple" });
   * const bytes = await new Response(archive).bytes();
   * assert.equal(new DataView(bytes.buffer).getUint16(8, true), 99); // method: AES
   * ```
   */
  password?: string;
  /**
   * The WinZip AE version of encrypted entries. `"AE-2"` writes 0 where the
   * CRC-32 of the data would be, so that the CRC of a short file does not
   * give its content away; the authentication code checks the data instead.
   * `"AE-1"` keeps the real CRC, which every AES reader checks as well,
   * at the cost of that leak.
   *
   * @default {"AE-2"}
   */
  encryption?: "AE-2" | "AE-1";
  /**
   * Derive the salts of encrypted entries from this key (at least 16 bytes)
   * instead of drawing them at random: each salt is the first 16 bytes of
   * HMAC-SHA-256 over the entry's index and name, so the same entries,
   * options and key give the same bytes, as `resume` needs (see `resume`
   * for when resuming without it is refused). **Security:** AES-CTR must
   * never use the same key and counter for two different plaintexts. With
   * the same password, `saltKey` and entry name at the same index, two
   * archives get the same salt, hence the same keystream: whoever holds
   * both learns the XOR of the two contents. So use a `saltKey` for one
   * archive only, its rebuilds, resumes and ranges (whose content is the
   * same): draw it at random for each archive (`crypto.getRandomValues`)
   * and keep it with the archive's checkpoint. It need not be secret from
   * those who may read the archive (salts are stored in the clear) but it
   * must not be reused for another archive with the same password.
   *
   * @example Rebuild the same encrypted bytes
   * ```ts
   * import assert from "node:assert/strict";
   * import { zip, type ZipOptions } from "@zipstream/zipstream";
   *
   * const options: ZipOptions = {
   *   password: "correct horse battery staple",
   *   saltKey: crypto.getRandomValues(new Uint8Array(32)),
   *   lastModified: 0,
   * };
   * const entries = () => [{ name: "a.txt", data: "same every time" }];
   * const first = await new Response(zip(entries(), options)).bytes();
   * const again = await new Response(zip(entries(), options)).bytes();
   * assert.deepEqual(first, again);
   * ```
   */
  saltKey?: Uint8Array;
}
