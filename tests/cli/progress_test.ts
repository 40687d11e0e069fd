import assert from "node:assert/strict";
import { withTempDir } from "../_readers.ts";
import { makeTree, type TreeNode } from "./_cli.ts";
import {
  cellWidths,
  drawnFrames,
  FIELDS_BY_PRIORITY,
  type FrameField,
  frameFields,
  RESIZED,
  runOnTerminal,
} from "./_terminal.ts";

const FILES = 24;
const FILE_SIZE = 128 * 1024;
/** The archive's pace: about three seconds for the whole tree. */
const OUTPUT_RATE = 1024 * 1024;

/**
 * Incompressible files under long names of wide characters: an ideograph
 * or an emoji takes two cells, the combining accent of "é" none.
 */
function tree(): TreeNode[] {
  const nodes: TreeNode[] = [{ kind: "dir", path: "报告" }];
  for (let i = 0; i < FILES; i++) {
    const data = new Uint8Array(FILE_SIZE);
    for (let at = 0; at < data.length; at += 65536) {
      crypto.getRandomValues(data.subarray(at, at + 65536));
    }
    nodes.push({
      kind: "file",
      path:
        `报告/2026年第四季度财务报告-最终版本-已审核-附录与说明-cafe\u0301-📦-${i}.bin`,
      data,
    });
  }
  return nodes;
}

for (const columns of [80, 100, 132]) {
  Deno.test(`zipstream fits every progress frame in ${columns} columns, dropping whole fields in a fixed order`, async () => {
    await withTempDir(async (dir) => {
      await makeTree(dir, tree());
      const { code, screen } = await runOnTerminal(
        ["--store", "报告", "-o", "-"],
        { cwd: dir, columns, outputRate: OUTPUT_RATE },
      );
      assert.equal(code, 0, screen);
      const frames = drawnFrames(screen);
      const summary = frames.pop();
      assert.match(summary ?? "", /^zipstream: 25 entries, /);
      // Paced at a third of the archive a second, with a redraw every
      // tenth of a second, the run draws a frame for each of many states.
      assert.ok(frames.length >= 10, `${frames.length} frames:\n${screen}`);
      const widths = await cellWidths(frames);
      // Nothing is uploaded, so there is no field of bytes sent.
      const available: FrameField[] = FIELDS_BY_PRIORITY.filter((field) =>
        field !== "sent"
      );
      frames.forEach((frame, index) => {
        assert.ok(
          widths[index]! <= columns,
          `${widths[index]} cells in ${columns} columns: ${frame}`,
        );
        const fields = frameFields(frame).map(([field]) => field);
        const kept = available.slice(
          0,
          Math.max(...fields.map((field) => available.indexOf(field))) + 1,
        );
        // The name is left out while no entry has started; any other gap
        // would be a field dropped out of turn.
        assert.deepEqual(
          new Set(fields),
          new Set(kept.filter((field) => field !== "name" || index > 0)),
          frame,
        );
      });
      const last = new Map(frameFields(frames.at(-1)!));
      assert.equal(last.get("percent"), "100%");
      assert.equal(last.get("bytes"), "3.00 MiB of 3.00 MiB");
      assert.equal(last.get("entries"), "25/25 entries");
      const names = frames.flatMap((frame) =>
        frameFields(frame).filter(([field]) => field === "name")
          .map(([, name]) => name)
      );
      if (columns >= 132) {
        assert.ok(names.length > 0, "some frames show the entry's name");
        for (const name of names) {
          assert.match(name, /^报告.*….*\.bin$/, "shortened in the middle");
        }
      }
    });
  });
}

Deno.test("zipstream follows a resize of the terminal from the next frame on", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, tree());
    const { code, screen } = await runOnTerminal(
      ["--store", "报告", "-o", "-"],
      {
        cwd: dir,
        columns: 100,
        outputRate: OUTPUT_RATE,
        resize: { after: (FILES * FILE_SIZE) / 2, columns: 60 },
      },
    );
    assert.equal(code, 0, screen);
    const [before, after] = screen.split(RESIZED);
    assert.ok(after !== undefined, screen);
    // One frame may have been on its way when the window changed.
    const [, ...resized] = drawnFrames(after);
    resized.pop();
    assert.ok(resized.length >= 3, `${resized.length} frames after the resize`);
    const widths = await cellWidths(resized);
    resized.forEach((frame, index) => {
      assert.ok(widths[index]! <= 60, `${widths[index]} cells: ${frame}`);
    });
    const wide = await cellWidths(drawnFrames(before!));
    assert.ok(Math.max(...wide) > 60, "the frames before used the width");
  });
});
