/**
 * The library in a real browser, as an application ships it: bundled with
 * esbuild, loaded by headless Chromium from a local server, zipping a 64 MiB
 * streamed deflate entry in a page (where the deflate worker pool must start)
 * and in a Service Worker that answers a download (where it cannot, and the
 * fallback must say so). Both archives must be byte for byte Deno's archive
 * of the same entry with the same engine, pako, and open in every
 * independent reader.
 *
 * Needs Debian's `chromium` (scripts/install_test_tools.sh installs it).
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { assertOpensEverywhere, digestOf, withTempDir } from "../_readers.ts";
import type { ArchiveReport, ReportedStatus } from "./_archive_report.ts";
import { type BrowserPage, openPage } from "./_browser_page.ts";
import { bundleBrowserScripts } from "./_bundle.ts";
import { type Chromium, launchChromium } from "./_chromium.ts";
import { deadline } from "./_deadline.ts";
import type { Params } from "./_devtools.ts";
import { denoPakoReport } from "./_pako_reference.ts";
import { PAGE_SCRIPT_PATH } from "./_page_paths.ts";
import { servePage } from "./_page_server.ts";
import { SAMPLE_ENTRY_NAME } from "./_sample_archive.ts";
import { SAMPLE_SIZE, sampleText } from "./_sample_text.ts";

/** Calls an export of the page module in the page. */
function callPage(name: string): string {
  return `import(${
    JSON.stringify(PAGE_SCRIPT_PATH)
  }).then((page) => page.${name}())`;
}

/**
 * Waits until the downloaded file has reached its final size: Chromium may
 * report the download complete a moment before the file is in place.
 */
async function settledFile(path: string, size: number): Promise<void> {
  const settled = async () => {
    while ((await Deno.stat(path).catch(() => undefined))?.size !== size) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  await deadline(
    settled(),
    60_000,
    `the downloaded ${path} to reach ${size} bytes`,
  );
}

/** SHA-256 of a file, read as a stream, as the archive reports give it. */
async function sha256OfFile(path: string): Promise<string> {
  using file = await Deno.open(path);
  const hash = createHash("sha256");
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

Deno.test("zip() in headless Chromium starts the deflate pool in a page, falls back in a Service Worker, and writes Deno's pako bytes in both", async () => {
  const reference = await denoPakoReport();
  const entry = {
    name: SAMPLE_ENTRY_NAME,
    digest: await digestOf(sampleText()),
  };
  assert.equal(entry.digest.size, SAMPLE_SIZE);
  const scripts = await bundleBrowserScripts();

  await withTempDir(async (downloads) => {
    const server = servePage(scripts);
    let chromium: Chromium | undefined;
    let page: BrowserPage | undefined;
    try {
      chromium = await launchChromium();
      const { devtools } = chromium;
      page = await openPage(devtools);
      await page.goto(`${server.origin}/`);

      // In the page: two workers, a status saying so, and Deno's bytes.
      const inPage = await page.evaluate<ArchiveReport>(
        callPage("zipInPage"),
        600_000,
      );
      assert.deepEqual(inPage.statuses, [{ state: "running", workers: 2 }]);
      assert.deepEqual(
        { length: inPage.length, sha256: inPage.sha256 },
        { length: reference.length, sha256: reference.sha256 },
        "the page's archive differs from Deno's with the pako engine",
      );

      // Through the Service Worker: a download the browser saves to disk.
      await page.evaluate(callPage("registerServiceWorker"), 60_000);
      await devtools.send("Browser.setDownloadBehavior", {
        behavior: "allowAndName",
        downloadPath: downloads,
        eventsEnabled: true,
      });
      const begun = devtools.waitFor("Browser.downloadWillBegin", () => true, {
        timeout: 120_000,
        what: "the download to begin",
      });
      // Generous: on 2 busy cores the Service Worker compresses 64 MiB alone.
      const ended = devtools.waitFor(
        "Browser.downloadProgress",
        (progress) => progress.state !== "inProgress",
        { timeout: 600_000, what: "the download to end" },
      );
      let inServiceWorker: ReportedStatus;
      let progress: Params;
      let guid: string;
      try {
        inServiceWorker = await page.evaluate<ReportedStatus>(
          callPage("downloadThroughServiceWorker"),
          120_000,
        );
        ({ guid } = await begun as { guid: string });
        progress = await ended;
      } finally {
        // Failed first, the other waits must not reject unobserved.
        begun.catch(() => {});
        ended.catch(() => {});
      }
      assert.equal(
        server.strayDownloads,
        0,
        "the download reached the server: the Service Worker did not answer it",
      );
      // A Service Worker has no Worker: the fallback is said, not silent.
      assert.deepEqual(inServiceWorker, {
        state: "unavailable",
        reason: "this runtime has no Worker",
      });
      assert.equal(progress.state, "completed", "the download failed");
      const downloaded = `${downloads}/${guid}`;
      await settledFile(downloaded, progress.receivedBytes as number);
      assert.equal(
        await sha256OfFile(downloaded),
        reference.sha256,
        "the downloaded archive differs from Deno's with the pako engine",
      );

      // All three archives are the same bytes, so one run of the readers
      // covers them all.
      await assertOpensEverywhere(downloaded, [entry]);
    } catch (error) {
      // What the page said is often the only clue to a browser failure.
      if (page !== undefined && page.log() !== "") {
        console.error(`The page's console:\n${page.log()}`);
      }
      if (chromium !== undefined && chromium.stderr() !== "") {
        console.error(`Chromium's stderr (end):\n${chromium.stderr()}`);
      }
      throw error;
    } finally {
      page?.close();
      await chromium?.close();
      await server.close();
    }
  });
});
