/**
 * HTTP-dates (RFC 9110 §5.6.7): the one format servers send, and the three
 * formats recipients must accept.
 *
 * @module
 */

const DAYS = "Mon|Tue|Wed|Thu|Fri|Sat|Sun";
const LONG_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday";
const MONTH_NAMES = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];
const MONTHS = MONTH_NAMES.join("|");
const TIME = String.raw`(\d{2}):(\d{2}):(\d{2})`;
// `Sun, 06 Nov 1994 08:49:37 GMT`
const IMF_FIXDATE = new RegExp(
  String.raw`^(?:${DAYS}), (\d{2}) (${MONTHS}) (\d{4}) ${TIME} GMT$`,
);
// `Sunday, 06-Nov-94 08:49:37 GMT`
const RFC_850 = new RegExp(
  String.raw`^(?:${LONG_DAYS}), (\d{2})-(${MONTHS})-(\d{2}) ${TIME} GMT$`,
);
// `Sun Nov  6 08:49:37 1994`
const ASCTIME = new RegExp(
  String.raw`^(?:${DAYS}) (${MONTHS}) ( \d|\d{2}) ${TIME} (\d{4})$`,
);

/** `epochMs` as an IMF-fixdate, the only form a sender may generate. */
export function formatHttpDate(epochMs: number): string {
  // toUTCString() produces exactly the IMF-fixdate form.
  return new Date(epochMs).toUTCString();
}

/**
 * The time an HTTP-date names, in whole seconds since the epoch, or
 * `undefined` when `value` is not a valid HTTP-date in any of its three
 * forms. `Date.parse` is not used: it accepts almost anything (`"1"` is a
 * date to it), and a header that is not a valid date must be ignored, not
 * read as some date.
 */
export function parseHttpDate(value: string): number | undefined {
  const text = value.trim();
  let match = IMF_FIXDATE.exec(text);
  if (match !== null) {
    const [, day, month, year, hour, minute, second] = match;
    return toSeconds(year!, month!, day!, hour!, minute!, second!);
  }
  match = RFC_850.exec(text);
  if (match !== null) {
    const [, day, month, shortYear, hour, minute, second] = match;
    return toSeconds(
      String(fullYear(Number(shortYear))),
      month!,
      day!,
      hour!,
      minute!,
      second!,
    );
  }
  match = ASCTIME.exec(text);
  if (match !== null) {
    const [, month, day, hour, minute, second, year] = match;
    return toSeconds(year!, month!, day!.trim(), hour!, minute!, second!);
  }
  return undefined;
}

/** Whole seconds since the epoch of a time given in milliseconds, as HTTP-dates carry it. */
export function toHttpSeconds(epochMs: number): number {
  return Math.floor(epochMs / 1000);
}

/**
 * RFC 9110 §5.6.7: a two-digit year that would be more than 50 years in
 * the future is the most recent past year with those digits.
 */
function fullYear(twoDigits: number): number {
  const thisYear = new Date().getUTCFullYear();
  let year = Math.floor(thisYear / 100) * 100 + twoDigits;
  if (year > thisYear + 50) year -= 100;
  return year;
}

function toSeconds(
  year: string,
  month: string,
  day: string,
  hour: string,
  minute: string,
  second: string,
): number | undefined {
  const [y, m, d, h, min, sec] = [
    Number(year),
    MONTH_NAMES.indexOf(month),
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  ];
  // Date.UTC would roll 31 Feb over into March; such a date is not valid.
  // A leap second (60) is valid and reads as the next second.
  const midnight = new Date(Date.UTC(y, m, d));
  if (midnight.getUTCDate() !== d || h > 23 || min > 59 || sec > 60) {
    return undefined;
  }
  return Date.UTC(y, m, d, h, min, sec) / 1000;
}
