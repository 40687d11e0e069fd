import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("deno task demo uploads a generated tree to its own S3 server, verifies it and cleans up", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "demo"],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `${stdout}\n${stderr}`);
  const files = /^demo: ([\d,]+) files, /m.exec(stdout);
  assert.ok(files !== null, stdout);
  assert.ok(
    Number(files[1]!.replaceAll(",", "")) >= 2000,
    "thousands of files",
  );
  assert.match(stdout, /^demo: unzip -t: no errors$/m);
  assert.match(
    stdout,
    /^demo: python zipfile: all [\d,]+ entries match the tree \(names, kinds, modes, SHA-256 of contents and link targets\)$/m,
  );
  for (
    const row of [
      "entries",
      "input (file bytes)",
      "archive (S3 object)",
      "zip + upload",
      "download",
      "peak memory (zipstream RSS)",
      "ZIP64",
    ]
  ) {
    assert.match(
      stdout,
      new RegExp(`^ {2}${row.replace(/[()+]/g, "\\$&")} +\\S`, "m"),
    );
  }
  assert.match(
    stderr,
    /^zipstream: [\d,]+ entries, .* -> s3:\/\/zipstream-demo\/demo\/tree\.zip \([\d,]+ bytes, ETag "[^"]+"\)$/m,
  );
  assert.match(stdout, /^demo: stopped the S3 server$/m);
  const server = /data in (\S+)\)/.exec(stderr);
  assert.ok(server !== null, stderr);
  await assert.rejects(Deno.stat(server[1]!), Deno.errors.NotFound);
  const work = /^demo: removed (\S+)$/m.exec(stdout);
  assert.ok(work !== null, stdout);
  await assert.rejects(Deno.stat(work[1]!), Deno.errors.NotFound);
});
