import { z } from "zod";
import i18n from "@/lib/i18n";

export const signInSchema = () =>
  z.object({
    email: z.string().trim().min(3, i18n.t("validation.email")).max(254),
    password: z.string().min(1, i18n.t("validation.required")).max(256),
  });
export type SignInValues = z.infer<ReturnType<typeof signInSchema>>;

/** The server's rule (README): at least 8 characters with a letter and a digit or symbol. */
export const passwordRule = () =>
  z
    .string()
    .min(8, i18n.t("validation.passwordRule"))
    .max(256)
    .regex(/[A-Za-z]/, i18n.t("validation.passwordRule"))
    .regex(/[^A-Za-z]/, i18n.t("validation.passwordRule"));
