// The client-side checks of models: only what needs no round trip (the identifier patterns,
// keys alike in one draft, JSON syntax). The server is the judge of everything else.
import { z } from "zod";
import i18n from "@/lib/i18n";
import type { Draft, DraftErrors } from "./model-draft";

/** A model's slug and a field's key: a JavaScript identifier (datastore/models.py SLUG, fields.py KEY). */
export const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** Keys the system gives every record (fields.py RESERVED). */
const RESERVED_KEYS = new Set(["id", "created", "updated", "revision", "expand", "fields"]);

export const newModelSchema = () =>
  z.object({
    name: z.string().trim().min(1, i18n.t("validation.required")).max(200),
    slug: z.string().regex(IDENTIFIER, i18n.t("datastore.models.identifierRule")),
  });
export type NewModelValues = z.infer<ReturnType<typeof newModelSchema>>;

/** A slug suggested from a name: lowercase latin letters, digits and _ (Cyrillic transliterated). */
export function suggestModelSlug(name: string): string {
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
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^[^a-z]+/, "")
    .slice(0, 64)
    .replace(/_+$/, "");
}

/** What the draft cannot send as it is: bad or repeated keys, a JSON default that does not parse. */
export function draftProblems(draft: Draft): DraftErrors {
  const problems: DraftErrors = {};
  const seen = new Set<string>();
  if (!draft.name.trim()) problems.name = i18n.t("validation.required");
  for (const entry of draft.fields) {
    const key = entry.field.key;
    if (!IDENTIFIER.test(key)) problems[`${entry.uid}.key`] = i18n.t("datastore.models.identifierRule");
    else if (RESERVED_KEYS.has(key)) problems[`${entry.uid}.key`] = i18n.t("datastore.models.reservedKey", { key });
    else if (seen.has(key)) problems[`${entry.uid}.key`] = i18n.t("datastore.models.duplicateKey", { key });
    seen.add(key);
    if (entry.jsonInvalid) problems[`${entry.uid}.default`] = i18n.t("datastore.models.invalidJson");
  }
  return problems;
}
