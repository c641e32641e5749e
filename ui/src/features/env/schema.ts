// The env form keeps every value as the text the user typed (a boolean as a switch); the server
// decides whether it fits the type (one rule, server-side: its 422 lands on the value field).
// Only JSON is parsed here, since it has to be sent as a value, not as text.
import { z } from "zod";
import i18n from "@/lib/i18n";
import { ENV_TYPES, type EnvType, type EnvVar } from "./api";

export const envSchema = () =>
  z.object({
    key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, i18n.t("validation.envKey")).max(128),
    type: z.enum(ENV_TYPES),
    value: z.string(),
    flag: z.boolean(),
  });
export type EnvValues = z.infer<ReturnType<typeof envSchema>>;

/** The form's text for a stored value. */
export function valueText(variable: Pick<EnvVar, "type" | "value">): string {
  if (variable.type === "json") return JSON.stringify(variable.value, null, 2);
  if (variable.type === "boolean") return "";
  return variable.value === null || variable.value === undefined ? "" : String(variable.value);
}

/** What is sent for the form's values; a JSON syntax error is thrown as a field message. */
export function valueToSend(type: EnvType, text: string, flag: boolean): unknown {
  if (type === "boolean") return flag;
  if (type === "json") {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new JsonSyntaxError(i18n.t("env.invalidJson", { reason: (error as Error).message }));
    }
  }
  return text;
}

export class JsonSyntaxError extends Error {}

/** One line shown in the table for a value. */
export function preview(variable: EnvVar): string {
  if (variable.type === "json") return JSON.stringify(variable.value);
  return String(variable.value);
}
