import { z } from "zod";
import { passwordRule } from "@/features/auth/schema";
import i18n from "@/lib/i18n";

export const userSchema = (creating: boolean) =>
  z.object({
    email: z.string().trim().email(i18n.t("validation.email")).max(254),
    name: z.string().max(100),
    // Editing: an empty password keeps the current one.
    password: creating ? passwordRule() : z.union([z.literal(""), passwordRule()]),
    createProjects: z.boolean(),
    manageUsers: z.boolean(),
    projects: z.array(z.string()),
  });
export type UserValues = z.infer<ReturnType<typeof userSchema>>;
