// The server's 422/409 field errors onto react-hook-form fields; what no field shows becomes a toast.
import type { FieldValues, Path, UseFormReturn } from "react-hook-form";
import { toast } from "sonner";
import i18n from "./i18n";
import { isApiError } from "./api";

/** A human sentence for any error: the known codes translated, the server's message otherwise. */
export function errorMessage(error: unknown): string {
  if (isApiError(error)) {
    const known: Record<string, string> = {
      network: i18n.t("errors.network"),
      invalid_credentials: i18n.t("errors.invalidCredentials"),
      user_blocked: i18n.t("errors.blocked"),
      forbidden: i18n.t("errors.forbidden"),
    };
    return known[error.code] ?? error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export function toastError(error: unknown) {
  toast.error(errorMessage(error));
}

/**
 * Put each server field error on its form field (`rename` maps server names to form names, e.g.
 * "value" -> "value" or "key" -> "slug"); errors for fields the form does not have are toasted.
 */
export function applyServerErrors<T extends FieldValues>(
  error: unknown,
  form: UseFormReturn<T>,
  rename: Record<string, Path<T>> = {},
) {
  if (!isApiError(error) || Object.keys(error.fields).length === 0) {
    toastError(error);
    return;
  }
  const known = new Set(Object.keys(form.getValues()));
  const leftOver: string[] = [];
  let focused = false;
  for (const [field, reason] of Object.entries(error.fields)) {
    const name = rename[field] ?? field;
    if (known.has(name.split(".")[0] ?? name)) {
      form.setError(name as Path<T>, { type: "server", message: reason }, { shouldFocus: !focused });
      focused = true;
    } else {
      leftOver.push(`${field}: ${reason}`);
    }
  }
  if (leftOver.length) toast.error(leftOver.join("; "));
}
