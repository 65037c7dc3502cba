/** The zip bodies of the Gcore and ELSA downloads: one member, the same bytes for the same request. */

import { zipSync } from 'fflate';

/**
 * Zip dates (MS-DOS format) cover 1980–2099 in local time, which is how fflate writes them; it throws
 * outside that range. Clamped here so a window in 1970 or 2150 gets an answer, not an emulator error.
 */
const EARLIEST_ZIP_MTIME_MS = new Date(1980, 0, 1).getTime();
const LATEST_ZIP_MTIME_MS = new Date(2099, 11, 31, 23, 59, 58).getTime();

/** A zip of one deflated member whose mtime is `mtimeMs` (a fixed one keeps the download byte-identical), clamped to the zip range. */
export function oneMemberZip(name: string, bytes: Uint8Array, mtimeMs: number): Uint8Array {
  const mtime = new Date(Math.min(Math.max(mtimeMs, EARLIEST_ZIP_MTIME_MS), LATEST_ZIP_MTIME_MS));
  return zipSync({ [name]: [bytes, { level: 6, mtime }] });
}
