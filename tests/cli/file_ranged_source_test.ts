import assert from "node:assert/strict";
import {
  FileRangedSource,
  versionOf,
} from "../../src/cli/_file_ranged_source.ts";
import { bytesOf, pseudoRandom } from "../_data.ts";
import { withTempDir } from "../_readers.ts";

const MTIME = new Date("2021-03-04T05:06:08Z");

async function planned(path: string): Promise<FileRangedSource> {
  return new FileRangedSource(versionOf(path, await Deno.stat(path)));
}

/** `DIR/a.txt` holding "hello", with the time {@linkcode MTIME}, planned. */
async function plannedHello(dir: string) {
  const path = `${dir}/a.txt`;
  await Deno.writeTextFile(path, "hello");
  await Deno.utime(path, MTIME, MTIME);
  const source = await planned(path);
  return { path, source, inode: source.version.inode };
}

Deno.test("FileRangedSource reads exactly the range asked for, across read chunks", async () => {
  await withTempDir(async (dir) => {
    const data = pseudoRandom(700_000, 3);
    await Deno.writeFile(`${dir}/a.bin`, data);
    const source = await planned(`${dir}/a.bin`);
    assert.equal(source.size, data.length);
    for (
      const [start, end] of [[0, 700_000], [1, 2], [262_143, 524_289], [
        699_999,
        700_000,
      ], [5, 5]] as const
    ) {
      assert.deepEqual(
        await bytesOf(source.read(start, end)),
        data.subarray(start, end),
        `bytes ${start} to ${end}`,
      );
    }
  });
});

Deno.test("FileRangedSource opens nothing until its stream is pulled", async () => {
  await withTempDir(async (dir) => {
    const source = new FileRangedSource({
      path: `${dir}/missing.bin`,
      size: 10,
      mtime: 0,
      inode: 1,
    });
    // Made and never read: no error, nothing opened.
    const stream = source.read(0, 10);
    await assert.rejects(bytesOf(stream), {
      name: "CliError",
      message: `Cannot read "${dir}/missing.bin": no such file or directory`,
    });
  });
});

Deno.test("FileRangedSource fails naming the path when the file changed since the plan", async () => {
  await withTempDir(async (dir) => {
    const { path, source, inode } = await plannedHello(dir);
    const changed = (now: string) => ({
      name: "CliError",
      message:
        `Cannot read "${path}": it changed since the plan was made: expected size 5, mtime 2021-03-04T05:06:08.000Z, inode ${inode} but it has ${now}`,
    });

    // Same size, another time: touched or rewritten.
    const later = new Date("2022-01-01T00:00:00Z");
    await Deno.utime(path, later, later);
    const touched = changed(
      `size 5, mtime 2022-01-01T00:00:00.000Z, inode ${inode}`,
    );
    await assert.rejects(bytesOf(source.read(0, 5)), touched);
    await assert.rejects(source.checkUnchanged(), touched);

    // Grown, then given the planned time back: the size still tells.
    await Deno.writeTextFile(path, "hello!");
    await Deno.utime(path, MTIME, MTIME);
    await assert.rejects(
      bytesOf(source.read(0, 5)),
      changed(`size 6, mtime 2021-03-04T05:06:08.000Z, inode ${inode}`),
    );

    // Replaced by another file of the same size and time: the inode tells.
    await Deno.writeTextFile(`${dir}/b.txt`, "HELLO");
    await Deno.utime(`${dir}/b.txt`, MTIME, MTIME);
    await Deno.rename(`${dir}/b.txt`, path);
    const replaced = (await Deno.stat(path)).ino;
    assert.notEqual(replaced, inode);
    await assert.rejects(
      bytesOf(source.read(0, 5)),
      changed(`size 5, mtime 2021-03-04T05:06:08.000Z, inode ${replaced}`),
    );

    // Gone.
    await Deno.remove(path);
    await assert.rejects(source.checkUnchanged(), {
      message:
        `Cannot read "${path}": no such file or directory; it changed since the plan was made`,
    });
  });
});

Deno.test("FileRangedSource's identity is its absolute path, size, mtime and inode", async () => {
  await withTempDir(async (dir) => {
    const { path, source, inode } = await plannedHello(dir);
    assert.equal(
      source.identity,
      `file 5 ${MTIME.getTime()} ${inode} ${path}`,
    );
    const relative = new FileRangedSource({
      path: "a.txt",
      size: 5,
      mtime: MTIME.getTime(),
      inode,
    });
    assert.equal(relative.version.path, `${Deno.cwd()}/a.txt`);
    await Deno.utime(path, new Date(0), new Date(0));
    assert.notEqual((await planned(path)).identity, source.identity);
  });
});

/**
 * How many of the process's file descriptors are open on `path` (Linux).
 * Only that file's are counted: tests in other files run in the same process
 * and open and close their own files at any moment.
 */
async function openOn(path: string): Promise<number> {
  let count = 0;
  for await (const fd of Deno.readDir("/proc/self/fd")) {
    const target = await Deno.readLink(`/proc/self/fd/${fd.name}`).catch(
      () => undefined,
    );
    if (target === path) count++;
  }
  return count;
}

Deno.test("FileRangedSource closes the file at the end of a range and when its stream is cancelled", async () => {
  await withTempDir(async (dir) => {
    const data = pseudoRandom(600_000, 5);
    const path = await Deno.realPath(dir) + "/a.bin";
    await Deno.writeFile(path, data);
    const source = await planned(path);
    const reader = source.read(0, data.length).getReader();
    assert.equal(await openOn(path), 0, "nothing opened before a pull");
    assert.equal((await reader.read()).done, false);
    assert.equal(await openOn(path), 1);
    await reader.cancel();
    assert.equal(await openOn(path), 0);
    assert.deepEqual(
      await bytesOf(source.read(100, 200)),
      data.subarray(100, 200),
    );
    assert.equal(await openOn(path), 0);
  });
});
