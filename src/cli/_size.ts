/**
 * Parsing of size arguments such as `--part-size 16MiB`.
 *
 * @module
 */

// dd's convention: a bare or binary suffix is a power of 1024, a "B" after
// the letter (KB, MB) a power of 1000.
const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(i?b?))?$/i;
const POWERS = { k: 1, m: 2, g: 3, t: 4 } as const;

/**
 * Parses `5242880`, `5M`, `5MiB` (both 5 × 1024²) or `5MB` (5 × 1000²) into
 * a whole number of bytes; `undefined` when the text is not a size.
 */
export function parseSize(text: string): number | undefined {
  const match = SIZE_PATTERN.exec(text.trim());
  if (match === null) return undefined;
  const [, digits = "", letter, suffix = ""] = match;
  const power = letter === undefined
    ? 0
    : POWERS[letter.toLowerCase() as keyof typeof POWERS];
  const base = suffix.toLowerCase() === "b" ? 1000 : 1024;
  const bytes = Number(digits) * base ** power;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
