/**
 * MS-DOS date and time fields (APPNOTE 4.4.6), in UTC so that an archive's
 * bytes do not depend on the time zone of the machine that wrote it.
 *
 * @module
 */

import { DOS_EPOCH_YEAR, DOS_MAX_YEAR } from "./_constants.ts";

/** The packed date and time fields of a local or central header. */
export interface DosDateTime {
  /** Bits 15-9 year since 1980, 8-5 month, 4-0 day. */
  date: number;
  /** Bits 15-11 hour, 10-5 minute, 4-0 seconds / 2. */
  time: number;
}

const FIRST_DOS_TIME: DosDateTime = { date: pack(0, 1, 1), time: 0 };
const LAST_DOS_TIME: DosDateTime = {
  date: pack(DOS_MAX_YEAR - DOS_EPOCH_YEAR, 12, 31),
  time: packTime(23, 59, 58),
};

function pack(year: number, month: number, day: number): number {
  return (year << 9) | (month << 5) | day;
}

function packTime(hours: number, minutes: number, seconds: number): number {
  // Two-second resolution: the field holds seconds / 2.
  return (hours << 11) | (minutes << 5) | (seconds >> 1);
}

/**
 * Packs a time into DOS fields. DOS cannot say anything before 1980 or after
 * 2107, so such times are clamped; the extended-timestamp extra field carries
 * the true time for readers that look.
 */
export function dosDateTime(epochMilliseconds: number): DosDateTime {
  const date = new Date(epochMilliseconds);
  const year = date.getUTCFullYear();
  if (year < DOS_EPOCH_YEAR) return FIRST_DOS_TIME;
  if (year > DOS_MAX_YEAR) return LAST_DOS_TIME;
  return {
    date: pack(
      year - DOS_EPOCH_YEAR,
      date.getUTCMonth() + 1,
      date.getUTCDate(),
    ),
    time: packTime(
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
    ),
  };
}
