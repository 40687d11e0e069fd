/**
 * Java 17's own ZIP readers, through `ZipReaders.java` beside this file:
 * `java.util.zip.ZipInputStream` fed the archive through a pipe (local
 * headers, data and data descriptors only, front to back) and
 * `java.util.zip.ZipFile` (the central directory). The source is compiled
 * with `javac` once per test process, into a folder of the system's
 * temporary directory named by a hash of the source, which later processes
 * reuse.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import {
  type ListedEntry,
  type ReaderListing,
  runListingReader,
} from "./_listing.ts";

/** An entry as `ZipFile` reads it, with what the central directory declares. */
export interface JavaFileEntry extends ListedEntry {
  /** The central directory's CRC-32. */
  crc32: number;
  /** The central directory's uncompressed size. */
  declaredSize: number;
  compressedSize: number;
  /** 0 stored, 8 deflated. */
  method: number;
}

const SOURCE = fileURLToPath(new URL("./ZipReaders.java", import.meta.url));
const CLASS = "ZipReaders";
// A class file for Java 17, whichever javac compiles it.
const JAVAC_ARGS = ["--release", "17"];
// Small heap: the readers stream, whatever the size of the archive. The
// JVM's own warnings (such as "[0.010s][warning][os,thread] Failed to start
// thread" on a busy machine) go to standard error: on standard output,
// where they go by default, they broke the JSON lines of the listing.
const JAVA_ARGS = [
  "-Xmx256m",
  "-XX:+UseSerialGC",
  "-Xlog:all=warning:stderr",
];

let compiled: Promise<string> | undefined;

/**
 * The folder holding the compiled reader. Processes compiling at once each
 * compile into a folder of their own and rename it into place: a rename onto
 * a folder that another one has filled fails, so none sees half a class.
 */
function classPath(): Promise<string> {
  compiled ??= (async () => {
    const source = await Deno.readFile(SOURCE);
    const key = createHash("sha256").update(JAVAC_ARGS.join(" ")).update(
      source,
    ).digest("hex").slice(0, 16);
    const dir = `${tmpdir()}/zipstream-java-readers-${key}`;
    const ready = () =>
      Deno.stat(`${dir}/${CLASS}.class`).then(() => true, () => false);
    if (await ready()) return dir;
    const staging = await Deno.makeTempDir({
      dir: tmpdir(),
      prefix: `zipstream-java-readers-${key}-`,
    });
    try {
      const output = await new Deno.Command("javac", {
        args: [...JAVAC_ARGS, "-d", staging, SOURCE],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (output.code !== 0) {
        throw new Error(
          `javac ${SOURCE} failed:\n${new TextDecoder().decode(output.stderr)}`,
        );
      }
      await Deno.rename(staging, dir).catch(async (error) => {
        if (!await ready()) throw error;
      });
      return dir;
    } finally {
      await Deno.remove(staging, { recursive: true }).catch(() => {});
    }
  })();
  return compiled;
}

/** Reads the archive front to back from a pipe with `ZipInputStream`. */
export async function readWithJavaStream(path: string): Promise<ReaderListing> {
  return await runListingReader(
    "java ZipInputStream",
    "java",
    [...JAVA_ARGS, "-cp", await classPath(), CLASS, "stream"],
    path,
  );
}

/** Reads the archive through its central directory with `ZipFile`. */
export async function readWithJavaFile(
  path: string,
): Promise<ReaderListing<JavaFileEntry>> {
  return await runListingReader(
    "java ZipFile",
    "java",
    [...JAVA_ARGS, "-cp", await classPath(), CLASS, "file", path],
    undefined,
  );
}
