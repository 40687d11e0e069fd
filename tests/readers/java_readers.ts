/**
 * Java 17's own ZIP readers, `ZipInputStream` fed from a pipe (local headers
 * and data descriptors only) and `ZipFile` (the central directory), through
 * `ZipReaders.java` beside this file, compiled once per test process.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** One entry as a reader returned it, its bytes hashed as they streamed. */
export interface StreamedEntry {
  name: string;
  isDirectory: boolean;
  /** Bytes read. */
  size: number;
  sha256: string;
}

/** What a reader read before it ended, and how it ended. */
export interface ReaderListing {
  entries: StreamedEntry[];
  /** The reader's error (`Class: message`), if it stopped on one. */
  error: string | undefined;
}

const SOURCE = new URL("./ZipReaders.java", import.meta.url);
const decoder = new TextDecoder();
let compiled: Promise<string> | undefined;

/**
 * Compiles the reader into a folder named by a hash of its source, once:
 * later processes find it there. The class is written elsewhere and the
 * folder renamed into place, so processes compiling at once never see half
 * a class.
 */
function classPath(): Promise<string> {
  compiled ??= (async () => {
    const source = await Deno.readFile(SOURCE);
    const hash = createHash("sha256").update(source).digest("hex");
    const dir = `${Deno.env.get("TMPDIR") ?? "/tmp"}/zipstream-java-readers-${
      hash.slice(0, 16)
    }`;
    try {
      await Deno.stat(`${dir}/ZipReaders.class`);
      return dir;
    } catch {
      // Not compiled yet.
    }
    const staging = await Deno.makeTempDir({ prefix: "zipstream-javac-" });
    const output = await new Deno.Command("javac", {
      args: ["-d", staging, SOURCE.pathname],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (output.code !== 0) {
      throw new Error(`javac failed: ${decoder.decode(output.stderr)}`);
    }
    try {
      await Deno.rename(staging, dir);
    } catch {
      // Another process got there first: its class is the same.
      await Deno.remove(staging, { recursive: true });
    }
    return dir;
  })();
  return compiled;
}

/** Parses the JSON lines a reader printed and its error line, if it exited 3. */
export function listing(
  what: string,
  code: number,
  stdout: string,
  stderr: string,
): ReaderListing {
  const entries = stdout.split("\n").filter((line) => line !== "").map(
    (line) => JSON.parse(line) as StreamedEntry,
  );
  if (code === 0) return { entries, error: undefined };
  if (code === 3) return { entries, error: stderr.trim() };
  throw new Error(`${what} exited with code ${code}: ${stderr.trim()}`);
}

/** Runs the Java reader in `mode` on the archive at `path`. */
async function runJava(
  mode: "stream" | "file",
  path: string,
): Promise<ReaderListing> {
  const child = new Deno.Command("java", {
    args: [
      "-Xmx256m",
      "-cp",
      await classPath(),
      "ZipReaders",
      ...(mode === "stream" ? ["stream"] : ["file", path]),
    ],
    stdin: mode === "stream" ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const feeding = mode === "stream" ? feed(path, child.stdin) : undefined;
  const [output] = await Promise.all([child.output(), feeding]);
  return listing(
    `java ZipReaders ${mode}`,
    output.code,
    decoder.decode(output.stdout),
    decoder.decode(output.stderr),
  );
}

/** Pipes a file into a child's standard input; a reader that stops early just closes it. */
export async function feed(
  path: string,
  sink: WritableStream<Uint8Array>,
): Promise<void> {
  const file = await Deno.open(path);
  try {
    await file.readable.pipeTo(sink);
  } catch {
    // The reader stopped early: its exit code and stderr tell why.
  }
}

/** Reads the archive front to back from a pipe with `java.util.zip.ZipInputStream`. */
export function readWithJavaStream(path: string): Promise<ReaderListing> {
  return runJava("stream", path);
}

/** Reads the archive through its central directory with `java.util.zip.ZipFile`. */
export function readWithJavaFile(path: string): Promise<ReaderListing> {
  return runJava("file", path);
}
