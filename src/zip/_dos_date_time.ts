/**
 * MS-DOS date and time fields (APPNOTE 4.4.6). DOS times carry no zone: they
 * are wall-clock fields, read in the zone the archive is written for. UTC by
 * default, so that an archive's bytes do not depend on the machine that
 * wrote it.
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

/** A time's wall-clock fields in some zone; month 1-12. */
interface WallClock {
  year: number;
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
}

/** Reads wall-clock fields of an epoch time in one zone. */
type ZoneReader = (epochMilliseconds: number) => WallClock;

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

const utc: ZoneReader = (milliseconds) => {
  const date = new Date(milliseconds);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hours: date.getUTCHours(),
    minutes: date.getUTCMinutes(),
    seconds: date.getUTCSeconds(),
  };
};

const local: ZoneReader = (milliseconds) => {
  const date = new Date(milliseconds);
  return {
    year: date.getFullYear(),
    month: date.getMonth() + 1,
    day: date.getDate(),
    hours: date.getHours(),
    minutes: date.getMinutes(),
    seconds: date.getSeconds(),
  };
};

function namedZone(timeZone: string): ZoneReader {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  return (milliseconds) => {
    const fields: Record<string, number> = {};
    for (const { type, value } of format.formatToParts(milliseconds)) {
      fields[type] = Number(value);
    }
    return {
      year: fields.year!,
      month: fields.month!,
      day: fields.day!,
      hours: fields.hour!,
      minutes: fields.minute!,
      seconds: fields.second!,
    };
  };
}

/**
 * Packs times into DOS fields in one time zone: `"UTC"`, `"local"` (the
 * runtime's zone) or an IANA name such as `"Europe/Paris"`.
 */
export class DosClock {
  /** The zone's name, as given. */
  readonly timeZone: string;
  #read: ZoneReader;

  /**
   * @throws {RangeError} when the runtime does not know `timeZone`.
   */
  constructor(timeZone = "UTC") {
    this.timeZone = timeZone;
    this.#read = timeZone === "UTC"
      ? utc
      : timeZone === "local"
      ? local
      : namedZone(timeZone);
  }

  /**
   * Packs a time into DOS fields. DOS cannot say anything before 1980 or
   * after 2107, so such times are clamped; the extended-timestamp extra
   * field carries the true time for readers that look.
   */
  fields(epochMilliseconds: number): DosDateTime {
    // Far from DOS's years every zone agrees, and some zones' formatters
    // would show eras: clamp those before reading the zone.
    const utcYear = new Date(epochMilliseconds).getUTCFullYear();
    if (utcYear < DOS_EPOCH_YEAR - 1) return FIRST_DOS_TIME;
    if (utcYear > DOS_MAX_YEAR + 1) return LAST_DOS_TIME;
    const clock = this.#read(epochMilliseconds);
    if (clock.year < DOS_EPOCH_YEAR) return FIRST_DOS_TIME;
    if (clock.year > DOS_MAX_YEAR) return LAST_DOS_TIME;
    return {
      date: pack(clock.year - DOS_EPOCH_YEAR, clock.month, clock.day),
      time: packTime(clock.hours, clock.minutes, clock.seconds),
    };
  }
}
