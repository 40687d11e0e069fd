/**
 * The browser test's page module, bundled with the library into
 * `/page.js`. The test calls its exports from the page with
 * `import("/page.js")`.
 *
 * @module
 */

import {
  type ArchiveReport,
  type ReportedStatus,
  reportedStatus,
  reportOf,
} from "./_archive_report.ts";
import {
  DOWNLOAD_PATH,
  SERVICE_WORKER_PATH,
  STATUS_CHANNEL,
} from "./_page_paths.ts";
import { zipSample } from "./_sample_archive.ts";

/**
 * The part of a window this module uses: Deno's type libraries describe no
 * DOM, and loading the DOM's would clash with them in the other tests.
 */
interface PageScope {
  document: {
    body: { append(node: Frame): void };
    createElement(tag: "iframe"): Frame;
  };
  navigator: {
    serviceWorker: {
      register(
        url: string,
        options: { type: "module"; scope: string },
      ): Promise<unknown>;
      ready: Promise<unknown>;
    };
  };
}

interface Frame {
  hidden: boolean;
  src: string;
  contentDocument: { body: { textContent: string } | null } | null;
  addEventListener(type: "load", listener: () => void): void;
}

const page = globalThis as unknown as PageScope;

/** Zips the sample with two deflate workers and reports the archive. */
export async function zipInPage(): Promise<ArchiveReport> {
  const statuses: ReportedStatus[] = [];
  const archive = zipSample({
    workers: 2,
    onWorkers: (status) => statuses.push(reportedStatus(status)),
  });
  return await reportOf(archive, statuses);
}

/** Registers the Service Worker and waits until it is active. */
export async function registerServiceWorker(): Promise<void> {
  const { serviceWorker } = page.navigator;
  await serviceWorker.register(SERVICE_WORKER_PATH, {
    type: "module",
    scope: "/",
  });
  await serviceWorker.ready;
}

/**
 * Starts a download of {@linkcode DOWNLOAD_PATH} and returns what `onWorkers`
 * said in the Service Worker that answers it. The download itself goes on in
 * the browser.
 *
 * A hidden frame navigates to it, as StreamSaver-style downloads do: a
 * navigation within the worker's scope goes through the worker, and the
 * answer's `content-disposition: attachment` turns it into a download.
 * Chromium (156) sends the request of an `<a download>` click straight to
 * the network, past the Service Worker, even from a controlled page.
 */
export async function downloadThroughServiceWorker(): Promise<ReportedStatus> {
  const channel = new BroadcastChannel(STATUS_CHANNEL);
  try {
    const status = new Promise<ReportedStatus>((resolve) => {
      channel.onmessage = (event: MessageEvent<ReportedStatus>) =>
        resolve(event.data);
    });
    const frame = page.document.createElement("iframe");
    // A download leaves the frame empty; a page loading in it is an answer
    // that did not come from the Service Worker (the server's 404).
    const misanswered = new Promise<never>((_, reject) => {
      frame.addEventListener("load", () => {
        reject(
          new Error(
            `Cannot download ${DOWNLOAD_PATH} through the Service Worker: a page loaded instead, saying "${frame.contentDocument?.body?.textContent}"`,
          ),
        );
      });
    });
    frame.hidden = true;
    frame.src = DOWNLOAD_PATH;
    page.document.body.append(frame);
    return await Promise.race([status, misanswered]);
  } finally {
    channel.close();
  }
}
