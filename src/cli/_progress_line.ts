/**
 * The progress bar's line, fitted to the terminal: whole fields are dropped,
 * in a fixed order, until the line fits, so a number is never cut short.
 *
 * @module
 */

import { cellWidth, shortenMiddle } from "./_cell_width.ts";

/**
 * The fields in the order they are kept when the terminal is too narrow for
 * all of them; the last is dropped first:
 *
 * 1. `percent`: `42%`
 * 2. `bytes`: `1.20 GiB of 3.00 GiB` (done and total)
 * 3. `rate`: `85.3 MiB/s`
 * 4. `eta`: `ETA 1:02:26`
 * 5. `sent`: `1.00 GiB sent` (uploads)
 * 6. `entries`: `3,214/70,000 entries`
 * 7. `bar`: `████████░░░░░░░░░░░░`
 * 8. `name`: the entry being read, shortened in the middle to the room left
 *
 * A field is kept only with all those before it, so the fields on screen
 * are always a prefix of this list.
 */
export const FIELD_PRIORITY = [
  "percent",
  "bytes",
  "rate",
  "eta",
  "sent",
  "entries",
  "bar",
  "name",
] as const;

/** A field of the progress line. */
export type FieldName = typeof FIELD_PRIORITY[number];

/** The fields' texts; those left out (a total that is not known) are not shown. */
export type ProgressFields = Partial<Record<FieldName, string>>;

/** The order the kept fields are drawn in, left to right. */
const DISPLAY_ORDER: readonly FieldName[] = [
  "bar",
  "percent",
  "bytes",
  "rate",
  "eta",
  "sent",
  "entries",
  "name",
];

/** Cells of the drawn bar. */
export const BAR_CELLS = 20;
/** Less room than this, and a name says too little to be worth showing. */
const MIN_NAME_CELLS = 10;
const SEPARATOR = " | ";

/**
 * The bar for `fraction` (0 to 1) of the work done.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { drawBar } from "./_progress_line.ts";
 *
 * assert.equal(drawBar(0.5), "██████████░░░░░░░░░░");
 * ```
 */
export function drawBar(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_CELLS);
  return "█".repeat(filled) + "░".repeat(BAR_CELLS - filled);
}

/**
 * The line of `fields` that fits in `columns` terminal cells, dropping whole
 * fields from the end of {@linkcode FIELD_PRIORITY} until it does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitProgressLine } from "./_progress_line.ts";
 *
 * const fields = {
 *   percent: "42%",
 *   bytes: "1.20 GiB of 3.00 GiB",
 *   rate: "85.3 MiB/s",
 *   entries: "3,214/70,000 entries",
 *   name: "logs/app.log",
 * };
 * assert.equal(
 *   fitProgressLine(fields, 80),
 *   "42% | 1.20 GiB of 3.00 GiB | 85.3 MiB/s | 3,214/70,000 entries | logs/app.log",
 * );
 * assert.equal(fitProgressLine(fields, 40), "42% | 1.20 GiB of 3.00 GiB | 85.3 MiB/s");
 * ```
 */
export function fitProgressLine(
  fields: ProgressFields,
  columns: number,
): string {
  const present = FIELD_PRIORITY.filter((name) =>
    fields[name] !== undefined && fields[name] !== ""
  );
  for (let kept = present.length; kept > 0; kept--) {
    const line = layout(fields, new Set(present.slice(0, kept)), columns);
    if (line !== undefined) return line;
  }
  return "";
}

/** The chosen fields in display order, or `undefined` when they do not fit. */
function layout(
  fields: ProgressFields,
  chosen: ReadonlySet<FieldName>,
  columns: number,
): string | undefined {
  const order = DISPLAY_ORDER.filter((name) => chosen.has(name));
  const parts = order.map((name, index) => ({
    name,
    before: index === 0
      ? ""
      : name === "percent" && order[index - 1] === "bar"
      ? " "
      : SEPARATOR,
    text: fields[name] ?? "",
  }));
  let used = 0;
  for (const part of parts) {
    used += part.before.length +
      (part.name === "name" ? 0 : cellWidth(part.text));
  }
  const name = parts.find((part) => part.name === "name");
  if (name !== undefined) {
    const room = columns - used;
    if (room < MIN_NAME_CELLS) return undefined;
    // A control character in a file name would move the cursor or end the line.
    name.text = shortenMiddle(name.text.replace(/\p{Cc}/gu, "?"), room);
  } else if (used > columns) {
    return undefined;
  }
  return parts.map((part) => part.before + part.text).join("");
}
