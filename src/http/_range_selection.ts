/**
 * Which bytes a `Range` header asks for (RFC 9110 §14.2), parsed by
 * `range-parser`, with the server's policy on top: what to ignore, when to
 * answer 416, how ranges are merged and how many are served.
 *
 * @module
 */

import { combineRanges, parse } from "range-parser";

/** Bytes `start` to `end` of the archive, both inclusive, as in `Content-Range`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * What to send for a request's `Range`: the whole archive (no `Range`, one
 * to ignore, or too many ranges), 416 (none of the ranges is satisfiable),
 * or these ranges, in the order asked, none overlapping or adjacent.
 */
export type RangeSelection =
  | { readonly kind: "whole" }
  | { readonly kind: "unsatisfiable" }
  | { readonly kind: "ranges"; readonly ranges: readonly ByteRange[] };

const WHOLE: RangeSelection = { kind: "whole" };

// range-parser's result code has this bit set when any range is malformed
// (and the one with value 2 when any is unsatisfiable).
const MALFORMED = 1;

/**
 * Selects the ranges to send for the `Range` header `field` of a `size`-byte
 * archive.
 *
 * - A field that is not `bytes=` or holds any malformed range is ignored
 *   (RFC 9110 §14.2 lets a server ignore an invalid ranges-specifier, and a
 *   full answer is always correct).
 * - Ranges past the end are dropped and ends past it are cut (§14.1.2);
 *   none left means 416.
 * - Overlapping and adjacent ranges are merged (§14.1.1 lets a server
 *   coalesce them), keeping the order of the first range of each group, so
 *   that `bytes=0-99,50-149` costs one read, not two.
 * - More than `maxRanges` ranges after merging are ignored, as nginx's
 *   `max_ranges` does: a hundred parts serve every real client (aria2 and
 *   download managers send one range per connection), and a cap stops a
 *   request of thousands of one-byte ranges from costing a part header and a
 *   source read each.
 */
export function selectRanges(
  field: string | null,
  size: number,
  maxRanges: number,
): RangeSelection {
  if (field === null) return WHOLE;
  const parsed = parse(size, field);
  if (parsed.type !== "bytes" || (parsed.code & MALFORMED) !== 0) return WHOLE;
  // An archive is never empty (its end record alone is 22 bytes), so no
  // range left means none was satisfiable.
  if (parsed.ranges.length === 0) return { kind: "unsatisfiable" };
  const merged = combineRanges(parsed.ranges);
  if (merged.length > maxRanges) return WHOLE;
  return {
    kind: "ranges",
    ranges: merged.map(({ start, end }) => ({ start, end })),
  };
}
