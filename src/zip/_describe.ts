/**
 * How the archive's error messages name an entry. Values are shown with
 * `describeValue` from `src/_errors.ts`, the toolkit shared by every area.
 *
 * @module
 */

/** A message prefix naming the entry. */
export function cannotAdd(name: string): string {
  return `Cannot add ${JSON.stringify(name)} to the archive`;
}
