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
 * Walks local paths and lists `s3://` ones, in argument order.
 *
 * @throws {CliError} when a path cannot be read or listed, or when two
 * arguments give the same archive name
 */
export async function collectArchiveItems(
  paths: readonly string[],
  walk: WalkOptions,
  sources: S3Sources,
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
    groups.push(await sources.list(path));
  }
  await flush();
  if (groups.length === 1) return groups[0] ?? [];
  const items = groups.flat();
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
