import assert from "node:assert/strict";
import { cellWidth, shortenMiddle } from "../../src/cli/_cell_width.ts";
import {
  BAR_CELLS,
  drawBar,
  FIELD_PRIORITY,
  fitProgressLine,
  type ProgressFields,
} from "../../src/cli/_progress_line.ts";

const FIELDS: ProgressFields = {
  percent: "42%",
  bytes: "1.20 GiB of 3.00 GiB",
  rate: "85.3 MiB/s",
  eta: "ETA 1:02:26",
  sent: "1.00 GiB sent",
  entries: "3,214/70,000 entries",
  bar: drawBar(0.42),
  name: "photos/2026/数据/IMG_0001.jpg",
};

Deno.test("fitProgressLine() shows every field when the terminal is wide enough", () => {
  assert.equal(
    fitProgressLine(FIELDS, 200),
    "████████░░░░░░░░░░░░ 42% | 1.20 GiB of 3.00 GiB | 85.3 MiB/s | ETA 1:02:26 | 1.00 GiB sent | 3,214/70,000 entries | photos/2026/数据/IMG_0001.jpg",
  );
});

Deno.test("fitProgressLine() drops whole fields, lowest priority first, at every width", () => {
  let previous: number = FIELD_PRIORITY.length;
  for (let columns = 160; columns >= 0; columns--) {
    const line = fitProgressLine(FIELDS, columns);
    assert.ok(cellWidth(line) <= columns, `${columns}: ${line}`);
    const kept = FIELD_PRIORITY.filter((field) =>
      field === "name" ? line.endsWith(".jpg") : line.includes(FIELDS[field]!)
    );
    assert.deepEqual(
      kept,
      FIELD_PRIORITY.slice(0, kept.length),
      `${columns}: ${line}`,
    );
    assert.ok(kept.length <= previous, "a narrower line keeps no more");
    previous = kept.length;
  }
  assert.equal(
    fitProgressLine(FIELDS, 80),
    "42% | 1.20 GiB of 3.00 GiB | 85.3 MiB/s | ETA 1:02:26 | 1.00 GiB sent",
  );
  assert.equal(fitProgressLine(FIELDS, 3), "42%");
  assert.equal(fitProgressLine(FIELDS, 2), "");
});

Deno.test("fitProgressLine() shortens the name in the middle to the room left, counting wide characters as two cells", () => {
  const line = fitProgressLine(FIELDS, 144);
  assert.equal(cellWidth(line), 144);
  assert.match(line, /entries \| photos\/2026\/…据\/IMG_0001\.jpg$/);
  // One cell short, 据 does not fit and is not split: the line is a cell shorter.
  const narrower = fitProgressLine(FIELDS, 143);
  assert.equal(cellWidth(narrower), 142);
  assert.match(narrower, /entries \| photos\/2026\/…\/IMG_0001\.jpg$/);
});

Deno.test("fitProgressLine() leaves out fields it is not given and replaces control characters in names", () => {
  assert.equal(
    fitProgressLine({
      bytes: "12.0 MiB",
      rate: "1.00 MiB/s",
      entries: "0/1 entries",
      name: "a\nb\x1b[2J",
    }, 80),
    "12.0 MiB | 1.00 MiB/s | 0/1 entries | a?b?[2J",
  );
});

Deno.test("drawBar() fills its cells in proportion, within 0 and 1", () => {
  assert.equal(drawBar(0), "░".repeat(BAR_CELLS));
  assert.equal(drawBar(1), "█".repeat(BAR_CELLS));
  assert.equal(drawBar(2), "█".repeat(BAR_CELLS));
  assert.equal(drawBar(0.25), "█".repeat(5) + "░".repeat(15));
});

Deno.test("cellWidth() counts wide characters and emoji as two cells, accents as none", () => {
  assert.equal(cellWidth("report.txt"), 10);
  assert.equal(cellWidth("数据"), 4);
  assert.equal(cellWidth("한국어"), 6);
  assert.equal(cellWidth("ｆｕｌｌ"), 8);
  assert.equal(cellWidth("📦"), 2);
  assert.equal(cellWidth("👩‍💻"), 2);
  assert.equal(cellWidth("cafe\u0301"), 4);
  assert.equal(cellWidth("\u200b"), 0);
});

Deno.test("shortenMiddle() keeps both ends, never splits a character and never exceeds the width", () => {
  assert.equal(shortenMiddle("short", 10), "short");
  assert.equal(shortenMiddle("abcdefghijkl", 7), "abc…jkl");
  const name = "数据/📦👩‍💻cafe\u0301-report.txt";
  for (let width = 1; width <= cellWidth(name); width++) {
    const short = shortenMiddle(name, width);
    assert.ok(cellWidth(short) <= width, `${width}: ${short}`);
    assert.ok(!short.includes("\u200d…") && !short.startsWith("\u0301"));
  }
  assert.equal(shortenMiddle("数据数据", 6), "数…据");
});
