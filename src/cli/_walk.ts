/**
 * Turns the paths on the command line into the list of things to archive,
 * with the metadata (size, mtime, mode, link target) each entry needs.
 *
 * @module
 */

import { messageOf } from "../_errors.ts";
import { posix, resolve } from "node:path";
import { CliError } from "./_cli_error.ts";
import type { Excluder, Includer } from "./_glob.ts";

/** One thing to archive, found on disk or standing for standard input. */
export type InputItem =
  | {
    kind: "file";
    name: string;
    path: string;
    size: number;
    mtime: number | undefined;
    mode: number;
  }
  | {
    kind: "directory";
    name: string;
    path: string;
    mtime: number | undefined;
    mode: number;
  }
  | {
    kind: "symlink";
    name: string;
    path: string;
    target: string;
    mtime: number | undefined;
    mode: number;
  }
  | { kind: "stdin"; name: string };

/** How {@linkcode collectInputs} walks. */
export interface WalkOptions {
  /** Add what links point to instead of the links. */
  followSymlinks: boolean;
  /** Names to leave out. */
  excluder: Excluder;
  /** Names to keep (`--include`); directories are walked whatever their name. */
  includer?: Includer;
  /**
   * Told of each file or directory that cannot be read (permission denied),
   * which is then left out; without it, such a path fails the walk.
   */
  onUnreadable?: (path: string, reason: string) => void;
  /** The entry name given to `-`. */
  stdinName: string;
  /** A file never to add (the archive being written), by device and inode. */
  skip?: { dev: number; ino: number } | undefined;
  /** Stops the walk (Ctrl-C on a tree that takes long to walk). */
  signal?: AbortSignal;
}

/**
 * The archive name for a command-line path, like zip -r: the path as given,
 * normalised, without a leading `/`, `./` or `../`; `""` for `.` itself.
 */
function archivePrefix(path: string): string {
  const normalized = posix.normalize(path.replaceAll("\\", "/"))
    .replace(/^(?:\.\.?\/|\/)+/, "")
    .replace(/\/+$/, "");
  return normalized === "." || normalized === ".." ? "" : normalized;
}

/**
 * Walks every path (directories recursively, each directory's children in
 * name order) and returns the items in archive order.
 *
 * @throws {CliError} naming the path and the reason when a path cannot be
 * read, is a broken or looping link, or is neither file, directory nor link
 */
export async function collectInputs(
  paths: readonly string[],
  options: WalkOptions,
): Promise<InputItem[]> {
  const items: InputItem[] = [];
  // Name -> the path that gave it. Only on a clash are paths resolved, to
  // tell the same file given twice (skipped) from two files (an error);
  // storing resolved paths for every entry would double the walk's memory.
  const sources = new Map<string, string>();
  const kept = (name: string) => options.includer?.includes(name) ?? true;
  const add = (item: InputItem, path: string): boolean => {
    // Left out by --include, a directory is still walked.
    if (!kept(item.name.replace(/\/$/, ""))) return true;
    const previous = sources.get(item.name);
    if (previous === undefined) {
      sources.set(item.name, path);
      items.push(item);
      return true;
    }
    if (previous === path || resolve(previous) === resolve(path)) return false;
    throw new CliError(
      `Cannot add "${path}" as "${item.name}": "${previous}" already has that name in the archive`,
    );
  };

  const visit = async (
    path: string,
    name: string,
    ancestors: readonly string[],
  ): Promise<void> => {
    options.signal?.throwIfAborted();
    // In a directory that can be listed but not searched (r without x),
    // even lstat is refused.
    const found = await readable(() => Deno.lstat(path), path);
    if (found === undefined) return;
    let info = found;
    if (info.isSymlink) {
      const target = await inspect(() => Deno.readLink(path), path);
      if (!options.followSymlinks) {
        add(
          {
            kind: "symlink",
            name,
            path,
            target,
            mtime: info.mtime?.getTime(),
            mode: permissions(info, 0o777),
          },
          path,
        );
        return;
      }
      try {
        info = await Deno.stat(path);
      } catch (error) {
        throw new CliError(
          `Cannot add "${path}": ${
            error instanceof Deno.errors.NotFound
              ? `broken symbolic link to "${target}"`
              : reason(error)
          }`,
          { cause: error },
        );
      }
    }
    if (info.isDirectory) {
      const real = await inspect(() => Deno.realPath(path), path);
      if (ancestors.includes(real)) {
        throw new CliError(
          `Cannot add "${path}": symbolic link loop back to "${real}"`,
        );
      }
      // Listed before the directory's entry is added, so that one that
      // cannot be listed is left out whole.
      const children = await readable(async () => {
        const names: string[] = [];
        for await (const child of Deno.readDir(path)) names.push(child.name);
        return names;
      }, path);
      if (children === undefined) return;
      children.sort();
      if (name !== "") {
        const added = add(
          {
            kind: "directory",
            name: `${name}/`,
            path,
            mtime: info.mtime?.getTime(),
            mode: permissions(info, 0o755),
          },
          path,
        );
        if (!added) return;
      }
      const inside = [...ancestors, real];
      for (const child of children) {
        const childName = name === "" ? child : `${name}/${child}`;
        if (options.excluder.excludes(childName)) continue;
        await visit(posix.join(path, child), childName, inside);
      }
      return;
    }
    if (info.isFile) {
      if (
        options.skip !== undefined && info.dev === options.skip.dev &&
        info.ino === options.skip.ino
      ) return;
      if (!kept(name)) return;
      // Opening now finds an unreadable file before any byte is written and
      // before a stored archive's length is computed, rather than halfway
      // through the archive.
      const file = await readable(() => Deno.open(path, { read: true }), path);
      if (file === undefined) return;
      file.close();
      add(
        {
          kind: "file",
          name,
          path,
          size: info.size,
          mtime: info.mtime?.getTime(),
          mode: permissions(info, 0o644),
        },
        path,
      );
      return;
    }
    throw new CliError(
      `Cannot add "${path}": it is ${
        describeType(info)
      }, not a file, directory or symbolic link`,
    );
  };

  /**
   * Runs a file-system call; `undefined` when it met a permission it lacks
   * and the caller skips such paths, after telling it.
   */
  const readable = async <T>(
    call: () => Promise<T>,
    path: string,
  ): Promise<T | undefined> => {
    try {
      return await call();
    } catch (error) {
      if (
        error instanceof Deno.errors.PermissionDenied &&
        options.onUnreadable !== undefined
      ) {
        options.onUnreadable(path, reason(error));
        return undefined;
      }
      throw new CliError(`Cannot add "${path}": ${reason(error)}`, {
        cause: error,
      });
    }
  };

  for (const path of paths) {
    if (path === "-") {
      add({ kind: "stdin", name: options.stdinName }, "-");
      continue;
    }
    const name = archivePrefix(path);
    if (name !== "" && options.excluder.excludes(name)) continue;
    await visit(path, name, []);
  }
  return items;
}

function permissions(info: Deno.FileInfo, fallback: number): number {
  return info.mode === null ? fallback : info.mode & 0o7777;
}

function describeType(info: Deno.FileInfo): string {
  if (info.isFifo) return "a named pipe";
  if (info.isSocket) return "a socket";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  return "a special file";
}

/** Runs a file-system call, turning its failure into a one-line CliError. */
async function inspect<T>(call: () => Promise<T>, path: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new CliError(`Cannot add "${path}": ${reason(error)}`, {
      cause: error,
    });
  }
}

/** The operating system's reason, without Deno's "(os error 13): open '…'" tail. */
export function reason(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotADirectory) return "not a directory";
  if (error instanceof Deno.errors.FilesystemLoop) {
    return "too many levels of symbolic links";
  }
  const message = messageOf(error);
  return message.replace(/ \(os error \d+\).*$/s, "").replace(
    /^\w/,
    (c) => c.toLowerCase(),
  );
}
