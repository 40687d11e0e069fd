/**
 * Extracts archives to disk with the usual tools, as a user would, and lists
 * what a folder holds, links included, without following them.
 *
 * @module
 */

import { runTool } from "../_readers.ts";

/** The extractors of the safety tests. */
export const EXTRACTORS = ["unzip", "python", "bsdtar", "7z"] as const;
/** One of {@linkcode EXTRACTORS}. */
export type Extractor = typeof EXTRACTORS[number];

/** How an extraction ended. */
export interface Extraction {
  code: number;
  /** Standard output and standard error, together. */
  output: string;
}

const PYTHON_EXTRACT =
  "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])";

/**
 * Extracts the archive at `path` into the folder `into` with `extractor`:
 * `unzip -o`, Python's `zipfile.ZipFile.extractall`, `bsdtar -xf` or
 * `7z x -y`. A failing exit code is returned, not thrown: 7-Zip exits 2
 * when it refuses a link.
 */
export async function extract(
  extractor: Extractor,
  path: string,
  into: string,
): Promise<Extraction> {
  const [command, args] = {
    unzip: ["unzip", ["-o", "-q", path, "-d", into]],
    python: ["python3", ["-c", PYTHON_EXTRACT, path, into]],
    bsdtar: ["bsdtar", ["-xf", path, "-C", into]],
    "7z": ["7z", ["x", "-y", `-o${into}`, path]],
  }[extractor] as [string, string[]];
  const { code, stdout, stderr } = await runTool(command, args);
  return { code, output: stdout + stderr };
}

/**
 * Everything below `root`, as sorted lines: `d name`, `f name size`, or
 * `l name -> target` for a link, which is never followed. The folder `skip`
 * (a path below `root`) is listed, but not what it holds.
 */
export async function listTree(root: string, skip?: string): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for await (const child of Deno.readDir(dir)) {
      const path = `${dir}/${child.name}`;
      const name = `${prefix}${child.name}`;
      const info = await Deno.lstat(path);
      if (info.isSymlink) {
        lines.push(`l ${name} -> ${await Deno.readLink(path)}`);
      } else if (info.isDirectory) {
        lines.push(`d ${name}`);
        if (path !== skip) await walk(path, `${name}/`);
      } else {
        lines.push(`f ${name} ${info.size}`);
      }
    }
  };
  await walk(root, "");
  return lines.sort();
}

/** What is at `path`, without following a link: its target, or its kind. */
export async function linkOrKind(path: string): Promise<string> {
  const info = await Deno.lstat(path);
  if (info.isSymlink) return `-> ${await Deno.readLink(path)}`;
  return info.isDirectory ? "directory" : `file of ${info.size} bytes`;
}
