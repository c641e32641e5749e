// Client-side checks that need no round trip; the server's path rules (docs/storage.md) stay the
// judge, and their 422 lands on the field.
import { z } from "zod";
import i18n from "@/lib/i18n";

/** One name inside the current folder (new folder, new file, rename). */
export const nameSchema = () =>
  z.object({
    name: z
      .string()
      .trim()
      .min(1, i18n.t("validation.required"))
      .refine((name) => !name.includes("/"), i18n.t("storage.nameSlash")),
  });
export type NameValues = z.infer<ReturnType<typeof nameSchema>>;

/** A path from the storage root (move and copy targets); "" is the root. */
export const targetSchema = () =>
  z.object({ target: z.string().trim().transform((path) => path.replace(/^\/+|\/+$/g, "")) });
export type TargetValues = z.input<ReturnType<typeof targetSchema>>;

/** The expiries offered for a direct link, in seconds (the server allows up to files.link_max_expiry). */
export const EXPIRIES = [
  { key: "hour", seconds: 3600 },
  { key: "day", seconds: 86400 },
  { key: "week", seconds: 7 * 86400 },
  { key: "month", seconds: 30 * 86400 },
  { key: "year", seconds: 365 * 86400 },
] as const;
export type ExpiryKey = (typeof EXPIRIES)[number]["key"];
