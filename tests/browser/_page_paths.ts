/**
 * The paths the browser test's server, page and Service Worker agree on.
 *
 * @module
 */

/** The page itself: an empty document the test drives. */
export const PAGE_PATH = "/";
/** The bundled page module (`_page.ts` and the library). */
export const PAGE_SCRIPT_PATH = "/page.js";
/** The bundled Service Worker (`_service_worker.ts` and the library). */
export const SERVICE_WORKER_PATH = "/service_worker.js";
/** Answered by the Service Worker only; the server refuses it. */
export const DOWNLOAD_PATH = "/download.zip";
/** Where the Service Worker tells the page what `onWorkers` said. */
export const STATUS_CHANNEL = "zipstream-browser-test";
