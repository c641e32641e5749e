// Numbers and times in the reader's language. The Intl formatters are made once per language and
// options: making one costs ~50x a format, and a table page formats hundreds of cells.
import i18n from "./i18n";

const made = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function numbers(options?: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `n|${i18n.language}|${JSON.stringify(options ?? {})}`;
  let format = made.get(key) as Intl.NumberFormat | undefined;
  if (!format) made.set(key, (format = new Intl.NumberFormat(i18n.language, options)));
  return format;
}

function times(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `d|${i18n.language}|${JSON.stringify(options)}`;
  let format = made.get(key) as Intl.DateTimeFormat | undefined;
  if (!format) made.set(key, (format = new Intl.DateTimeFormat(i18n.language, options)));
  return format;
}

const DATE_TIME: Intl.DateTimeFormatOptions = { dateStyle: "medium", timeStyle: "short" };
const DATE: Intl.DateTimeFormatOptions = { dateStyle: "medium", timeZone: "UTC" };
const DAY: Intl.DateTimeFormatOptions = { day: "numeric", month: "short", timeZone: "UTC" };

export const formatNumber = (value: number) => numbers().format(value);

export const formatDateTime = (iso: string) => times(DATE_TIME).format(new Date(iso));

export const formatDate = (iso: string) => times(DATE).format(new Date(iso));

export const formatDay = (day: string) => times(DAY).format(new Date(`${day}T00:00:00Z`));

/** 3 h, 12 min: a number with its unit, short, in the reader's language. */
export const formatUnit = (value: number, unit: string) => numbers({ style: "unit", unit, unitDisplay: "short" }).format(value);
