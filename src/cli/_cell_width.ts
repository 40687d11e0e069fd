/**
 * The width of text on a terminal, in cells: a CJK ideograph or an emoji
 * takes two, a combining accent none. The progress line is fitted to the
 * terminal's columns with it, so a wide name cannot push it past the edge.
 *
 * @module
 */

// East Asian Wide and Fullwidth code points (Unicode's EastAsianWidth.txt,
// W and F), as ranges; emoji are matched by property instead.
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], // Hangul Jamo initial consonants
  [0x2e80, 0x303e], // CJK radicals, Kangxi, ideographic description, CJK punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility, CJK compatibility
  [0x3400, 0x4dbf], // CJK extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f], // Hangul Jamo extended A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6], // fullwidth signs
  [0x16fe0, 0x16fe4], // ideographic symbols
  [0x17000, 0x18cff], // Tangut, Khitan
  [0x1b000, 0x1b2ff], // Kana supplement and extensions, Nushu
  [0x1f200, 0x1f2ff], // enclosed ideographic supplement
  [0x20000, 0x3fffd], // CJK extensions B and later
];

const EMOJI = /\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F/u;
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]+$/u;

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** The cells one grapheme (a character with its accents, or an emoji sequence) takes. */
function graphemeWidth(grapheme: string): number {
  if (ZERO_WIDTH.test(grapheme)) return 0;
  if (EMOJI.test(grapheme)) return 2;
  const code = grapheme.codePointAt(0) ?? 0;
  return WIDE_RANGES.some(([first, last]) => code >= first && code <= last)
    ? 2
    : 1;
}

function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (part) => part.segment);
}

/**
 * The cells `text` takes on a terminal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cellWidth } from "./_cell_width.ts";
 *
 * assert.equal(cellWidth("a.txt"), 5);
 * assert.equal(cellWidth("报告.txt"), 8);
 * assert.equal(cellWidth("cafe\u0301"), 4);
 * ```
 */
export function cellWidth(text: string): number {
  let width = 0;
  for (const grapheme of graphemes(text)) width += graphemeWidth(grapheme);
  return width;
}

/**
 * `text` in at most `width` cells: whole if it fits, else its start and end
 * around `…`, where a path's top folder and its file name both stay readable.
 * Graphemes are never split.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shortenMiddle } from "./_cell_width.ts";
 *
 * assert.equal(shortenMiddle("logs/2026/12/app.log", 20), "logs/2026/12/app.log");
 * assert.equal(shortenMiddle("logs/2026/12/app.log", 14), "logs/2…app.log");
 * ```
 */
export function shortenMiddle(text: string, width: number): string {
  if (cellWidth(text) <= width) return text;
  const parts = graphemes(text);
  // The end gets the larger half: it holds the file name.
  let headRoom = Math.floor((width - 1) / 2);
  let tailRoom = width - 1 - headRoom;
  let head = "";
  for (const part of parts) {
    const cells = graphemeWidth(part);
    if (cells > headRoom) break;
    head += part;
    headRoom -= cells;
  }
  // Cells the head could not use (a wide character at the cut) go to the tail.
  tailRoom += headRoom;
  let tail = "";
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i] ?? "";
    const cells = graphemeWidth(part);
    if (cells > tailRoom) break;
    tail = part + tail;
    tailRoom -= cells;
  }
  return `${head}…${tail}`;
}
