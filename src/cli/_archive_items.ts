/**
 * All the path arguments, local and `s3://`, turned into the items of one
 * archive, in the order given.
 *
 * @module
 */

import { CliError } from "./_cli_error.ts";
import type { ArchiveItem } from "./_entries.ts";
import type { S3Sources } from "./_s3_source.ts";
import { isS3Uri } from "./_s3_uri.ts";
import { collectInputs, type WalkOptions } from "./_walk.ts";

/**
 * Walks local paths and lists `s3://` ones, in argument order. `--include`
 * (`walk.includer`) keeps the objects it matches, as the walk keeps files;
 * `junkPaths` (`-j`) names files and objects by their base name alone and
 * leaves directories out, as zip -j does.
 *
 * @throws {CliError} when a path cannot be read or listed, or when two
 * arguments (or, with `junkPaths`, two files) give the same archive name
 */
export async function collectArchiveItems(
  paths: readonly string[],
  walk: WalkOptions,
  sources: S3Sources,
  junkPaths = false,
): Promise<ArchiveItem[]> {
  const groups: ArchiveItem[][] = [];
  // Consecutive local paths are walked together, so that the walk's own
  // rules for a file given twice apply among them.
  let local: string[] = [];
  const flush = async () => {
    if (local.length > 0) groups.push(await collectInputs(local, walk));
    local = [];
  };
  for (const path of paths) {
    if (!isS3Uri(path)) {
      local.push(path);
      continue;
    }
    await flush();
    const { includer } = walk;
    const objects = await sources.list(path);
    groups.push(
      includer === undefined
        ? objects
        : objects.filter((object) =>
          includer.includes(object.name.replace(/\/$/, ""))
        ),
    );
  }
  await flush();
  if (groups.length === 1 && !junkPaths) return groups[0] ?? [];
  const items = junkPaths ? junk(groups.flat()) : groups.flat();
  const origins = new Map<string, string>();
  for (const item of items) {
    const origin = originOf(item);
    const previous = origins.get(item.name);
    if (previous !== undefined) {
      throw new CliError(
        `Cannot add "${origin}" as "${item.name}": "${previous}" already has that name in the archive`,
      );
    }
    origins.set(item.name, origin);
  }
  return items;
}

/** `-j`: no directories (nor folder markers), every other name cut to its last segment. */
function junk(items: readonly ArchiveItem[]): ArchiveItem[] {
  const kept: ArchiveItem[] = [];
  for (const item of items) {
    if (item.kind === "directory" || item.name.endsWith("/")) continue;
    // Standard input keeps the name --stdin-name gave it on purpose.
    if (item.kind === "stdin") kept.push(item);
    else {kept.push({
        ...item,
        name: item.name.slice(item.name.lastIndexOf("/") + 1),
      });}
  }
  return kept;
}

function originOf(item: ArchiveItem): string {
  switch (item.kind) {
    case "object":
      return item.uri;
    case "stdin":
      return "-";
    default:
      return item.path;
  }
}
