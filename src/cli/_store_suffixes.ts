/**
 * `-n SUFFIXES`: the names stored without compression, Info-ZIP's `-n` list.
 *
 * @module
 */

import { UsageError } from "./_cli_error.ts";

/**
 * Suffixes of formats that are compressed already, stored by default:
 * deflate cannot shrink them, and trying costs most of the run's time.
 */
export const DEFAULT_STORE_SUFFIXES: readonly string[] = [
  // Archives and compressed streams.
  ".zip",
  ".gz",
  ".tgz",
  ".bz2",
  ".tbz2",
  ".xz",
  ".txz",
  ".zst",
  ".lz4",
  ".lz",
  ".lzma",
  ".br",
  ".7z",
  ".rar",
  ".cab",
  // Images.
  ".jpg",
  ".jpeg",
  ".png",
  ".gif",
  ".webp",
  ".avif",
  ".heic",
  ".heif",
  ".jxl",
  // Sound and video.
  ".mp3",
  ".m4a",
  ".aac",
  ".ogg",
  ".oga",
  ".opus",
  ".flac",
  ".mp4",
  ".m4v",
  ".mkv",
  ".webm",
  ".mov",
  ".avi",
  // Formats that are ZIP archives inside.
  ".jar",
  ".war",
  ".ear",
  ".apk",
  ".aab",
  ".ipa",
  ".whl",
  ".nupkg",
  ".docx",
  ".xlsx",
  ".pptx",
  ".odt",
  ".ods",
  ".odp",
  ".epub",
  // Compressed fonts.
  ".woff",
  ".woff2",
];

/**
 * Parses `-n .a:.b`: colon-separated suffixes, matched case-insensitively at
 * the end of the name, as Info-ZIP's `-n` (a suffix needs no dot: `-n Z`
 * matches `a.Z`). `-n ''` gives no suffix: everything is compressed.
 */
export function parseStoreSuffixes(text: string): string[] {
  const suffixes = text.split(":").filter((suffix) => suffix !== "");
  for (const suffix of suffixes) {
    if (suffix.includes("/")) {
      throw new UsageError(
        `Invalid --store-suffixes "${text}": expected name endings separated by colons, such as .zip:.jpg, but "${suffix}" holds a /`,
      );
    }
  }
  return suffixes.map((suffix) => suffix.toLowerCase());
}

/** Whether `name` ends with one of the (lowercase) `suffixes`. */
export function hasStoredSuffix(
  name: string,
  suffixes: readonly string[],
): boolean {
  if (suffixes.length === 0) return false;
  const lower = name.toLowerCase();
  return suffixes.some((suffix) => lower.endsWith(suffix));
}

/**
 * The compression a `--resume` checkpoint records: the method, and for
 * deflate the suffixes stored instead, since another `-n` list would write
 * other bytes for the same inputs.
 */
export function describeCompression(
  compression: "store" | "deflate",
  suffixes: readonly string[],
): string {
  return compression === "store" || suffixes.length === 0
    ? compression
    : `deflate, storing ${suffixes.join(":")}`;
}
