// Sizes in the reader's language: 1.2 MB, 340 KB (decimal units, as file managers show them).
import i18n from "@/lib/i18n";

const UNITS = ["byte", "kilobyte", "megabyte", "gigabyte", "terabyte"] as const;

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return new Intl.NumberFormat(i18n.language, {
    style: "unit",
    unit: UNITS[unit],
    unitDisplay: unit === 0 ? "narrow" : "short", // "132B" / "132 Б", not "132 byte"
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}
