// Numbers and times in the reader's language.
import i18n from "./i18n";

export const formatNumber = (value: number) => new Intl.NumberFormat(i18n.language).format(value);

export const formatDateTime = (iso: string) =>
  new Intl.DateTimeFormat(i18n.language, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));

export const formatDate = (iso: string) =>
  new Intl.DateTimeFormat(i18n.language, { dateStyle: "medium", timeZone: "UTC" }).format(new Date(iso));

export const formatDay = (day: string) =>
  new Intl.DateTimeFormat(i18n.language, { day: "numeric", month: "short", timeZone: "UTC" }).format(new Date(`${day}T00:00:00Z`));

/** 3 h, 12 min: a number with its unit, short, in the reader's language. */
export const formatUnit = (value: number, unit: string) =>
  new Intl.NumberFormat(i18n.language, { style: "unit", unit, unitDisplay: "short" }).format(value);
