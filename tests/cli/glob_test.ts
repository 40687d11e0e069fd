import assert from "node:assert/strict";
import { Excluder, globToRegExp } from "../../src/cli/_glob.ts";

Deno.test("globToRegExp() keeps * and ? within one path segment", () => {
  assert.ok(globToRegExp("*.log").test("app.log"));
  assert.ok(!globToRegExp("*.log").test("logs/app.log"));
  assert.ok(globToRegExp("a?c").test("abc"));
  assert.ok(!globToRegExp("a?c").test("a/c"));
});

Deno.test("globToRegExp() lets ** cross segments, including none", () => {
  const pattern = globToRegExp("src/**/*.ts");
  assert.ok(pattern.test("src/a.ts"));
  assert.ok(pattern.test("src/x/y/a.ts"));
  assert.ok(!pattern.test("lib/a.ts"));
});

Deno.test("globToRegExp() reads classes, negated classes and escapes", () => {
  assert.ok(globToRegExp("file[0-9].txt").test("file7.txt"));
  assert.ok(!globToRegExp("file[!0-9].txt").test("file7.txt"));
  assert.ok(globToRegExp("file[!0-9].txt").test("fileA.txt"));
  assert.ok(globToRegExp("\\*.txt").test("*.txt"));
  assert.ok(!globToRegExp("\\*.txt").test("a.txt"));
  assert.ok(globToRegExp("a+b (1).txt").test("a+b (1).txt"));
});

Deno.test("Excluder matches a glob without / against each name at any depth", () => {
  const excluder = new Excluder(["node_modules", "*.tmp"]);
  assert.ok(excluder.excludes("node_modules"));
  assert.ok(excluder.excludes("app/node_modules"));
  assert.ok(excluder.excludes("a/b/c.tmp"));
  assert.ok(!excluder.excludes("app/node_modules_old"));
  assert.ok(!excluder.excludes("app/main.ts"));
});

Deno.test("Excluder matches a glob with / against the whole name", () => {
  const excluder = new Excluder(["./build/cache/", "docs/*.pdf"]);
  assert.ok(excluder.excludes("build/cache"));
  assert.ok(!excluder.excludes("src/build/cache"));
  assert.ok(excluder.excludes("docs/a.pdf"));
  assert.ok(!excluder.excludes("docs/old/a.pdf"));
});
