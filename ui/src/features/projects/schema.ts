import { z } from "zod";
import i18n from "@/lib/i18n";
import { COLOR_NAMES, type ColorName } from "./api";

// The server's slug rule (builtin_plugins/projects/service.py check_slug), for live feedback.
export const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const LOOKS_LIKE_ID = /^[0-9a-f]{24}$/;

/** A slug suggested from a name: lowercase latin letters, digits and dashes (Cyrillic transliterated). */
export function suggestSlug(name: string): string {
  const table: Record<string, string> = {
    а: "a", б: "b", в: "v", г: "g", д: "d", е: "e", ё: "e", ж: "zh", з: "z", и: "i", й: "y", к: "k", л: "l",
    м: "m", н: "n", о: "o", п: "p", р: "r", с: "s", т: "t", у: "u", ф: "f", х: "h", ц: "ts", ч: "ch", ш: "sh",
    щ: "sch", ъ: "", ы: "y", ь: "", э: "e", ю: "yu", я: "ya",
  };
  return name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .split("")
    .map((ch) => table[ch] ?? ch)
    .join("")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/g, "");
}

export const slugSchema = () =>
  z
    .string()
    .regex(SLUG, i18n.t("validation.slug"))
    .refine((value) => !LOOKS_LIKE_ID.test(value), i18n.t("validation.slugId"));

export const colorSchema = z.enum(COLOR_NAMES as [ColorName, ...ColorName[]]).nullable();

export const projectSchema = () =>
  z.object({
    name: z.string().trim().min(1, i18n.t("validation.required")).max(100),
    slug: slugSchema(),
    color: colorSchema,
  });
export type ProjectValues = z.infer<ReturnType<typeof projectSchema>>;
