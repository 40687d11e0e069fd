/**
 * Conditional requests (RFC 9110 §13): which answer the request's
 * validators call for, evaluated in the order of §13.2.2.
 *
 * @module
 */

import { parseHttpDate, toHttpSeconds } from "./_http_date.ts";

/** What the representation's validators are. */
export interface Validators {
  /** A strong entity tag, quoted. */
  readonly etag: string;
  /** Last-Modified, in epoch milliseconds. */
  readonly lastModified: number;
}

/**
 * The outcome of a request's preconditions: answer normally, with 304 Not
 * Modified, or with 412 Precondition Failed.
 */
export type PreconditionOutcome = "proceed" | "not-modified" | "failed";

/**
 * Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match` and
 * `If-Modified-Since` for a GET or HEAD request, in the order and with the
 * comparisons of RFC 9110 §13.2.2: an `If-Match` makes
 * `If-Unmodified-Since` irrelevant, and an `If-None-Match` makes
 * `If-Modified-Since` irrelevant. A date that is not a valid HTTP-date is
 * ignored, as §13.1.3 and §13.1.4 require.
 */
export function evaluatePreconditions(
  headers: Headers,
  validators: Validators,
): PreconditionOutcome {
  const modifiedSeconds = toHttpSeconds(validators.lastModified);
  const ifMatch = headers.get("if-match");
  if (ifMatch !== null) {
    if (!matchesAny(ifMatch, validators.etag, "strong")) return "failed";
  } else {
    const since = dateOf(headers.get("if-unmodified-since"));
    if (since !== undefined && modifiedSeconds > since) return "failed";
  }
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch !== null) {
    // Only GET and HEAD reach here, for which a match means 304, not 412.
    if (matchesAny(ifNoneMatch, validators.etag, "weak")) {
      return "not-modified";
    }
  } else {
    const since = dateOf(headers.get("if-modified-since"));
    if (since !== undefined && modifiedSeconds <= since) return "not-modified";
  }
  return "proceed";
}

/**
 * Whether a `Range` request may be answered with a part (RFC 9110 §13.1.5):
 * yes without `If-Range`, or when it carries the current entity tag,
 * compared strongly. An `If-Range` with a date never matches: a plan's
 * Last-Modified is its newest entry's time, which stays the same when an
 * older entry is added, removed or renamed, so it is not a strong
 * validator, and §13.1.5 makes the condition false for one that is not.
 * Resuming on it could splice two different archives together; the full
 * archive is sent instead.
 */
export function rangeStillApplies(
  headers: Headers,
  validators: Validators,
): boolean {
  const ifRange = headers.get("if-range");
  if (ifRange === null) return true;
  const value = ifRange.trim();
  // §13.1.5: an entity tag starts with a quote or W/; anything else is a date.
  if (!value.startsWith('"') && !value.startsWith("W/")) return false;
  const tags = entityTags(value);
  if (tags === "*" || tags.length !== 1) return false;
  return !tags[0]!.weak && tags[0]!.opaque === validators.etag;
}

/**
 * Whether a list of entity tags (or `*`) includes `etag`. The strong
 * comparison (§8.8.3.2) needs both tags strong and equal; the weak one
 * compares the quoted values only.
 */
function matchesAny(
  field: string,
  etag: string,
  comparison: "strong" | "weak",
): boolean {
  const tags = entityTags(field);
  if (tags === "*") return true;
  return tags.some((tag) =>
    tag.opaque === etag && (comparison === "weak" || !tag.weak)
  );
}

interface EntityTag {
  readonly weak: boolean;
  /** The quoted value, quotes included. */
  readonly opaque: string;
}

// One entity-tag (§8.8.3), after any empty list elements, and the list
// separator after it, if any. Sticky, so that matching stops at a fault.
const ENTITY_TAG = /[\s,]*(W\/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)/gy;

/**
 * The entity tags of an `If-Match`, `If-None-Match` or `If-Range` value, or
 * `"*"`. A list that does not parse to the end yields the tags before the
 * fault: a malformed field can then only fail to match, never match a tag
 * it did not name.
 */
function entityTags(field: string): readonly EntityTag[] | "*" {
  if (field.trim() === "*") return "*";
  return [...field.matchAll(ENTITY_TAG)].map((match) => ({
    weak: match[1] !== undefined,
    opaque: match[2]!,
  }));
}

function dateOf(field: string | null): number | undefined {
  return field === null ? undefined : parseHttpDate(field);
}
