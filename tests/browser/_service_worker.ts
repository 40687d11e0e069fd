/**
 * The browser test's Service Worker, bundled with the library into
 * `/service_worker.js`: answers {@linkcode DOWNLOAD_PATH} with the
 * sample archive, streamed as it is written, and tells the page on
 * {@linkcode STATUS_CHANNEL} what `onWorkers` said. A Service Worker has no
 * `Worker`, so the pool cannot start there and blocks are compressed in the
 * worker's own thread: the test sees that fallback through the status.
 *
 * @module
 */

import { reportedStatus } from "./_archive_report.ts";
import { DOWNLOAD_PATH, STATUS_CHANNEL } from "./_page_paths.ts";
import { zipSample } from "./_sample_archive.ts";

/** The part of a Service Worker's global scope this module uses. */
interface ServiceWorkerScope {
  addEventListener(type: "fetch", listener: (event: FetchEvent) => void): void;
}

interface FetchEvent extends Event {
  request: Request;
  respondWith(response: Response): void;
}

const scope = globalThis as unknown as ServiceWorkerScope;

// No clients.claim(): the download is a navigation, which goes through the
// worker of its scope whether or not the page is controlled.
scope.addEventListener("fetch", (event) => {
  if (new URL(event.request.url).pathname !== DOWNLOAD_PATH) return;
  const channel = new BroadcastChannel(STATUS_CHANNEL);
  const archive = zipSample({
    workers: 2,
    onWorkers(status) {
      channel.postMessage(reportedStatus(status));
      channel.close();
    },
  });
  event.respondWith(
    new Response(archive, {
      headers: {
        "content-type": "application/zip",
        "content-disposition": 'attachment; filename="sample.zip"',
      },
    }),
  );
});
