import { z } from "zod";
import i18n from "@/lib/i18n";

// The server's rule (pipeline/service.py check_branch) is the judge; this catches typos early.
export const branchSchema = () =>
  z.object({
    name: z
      .string()
      .trim()
      .min(1, i18n.t("validation.required"))
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, i18n.t("code.branchRule")),
    from: z.string().min(1, i18n.t("validation.required")),
  });
export type BranchValues = z.infer<ReturnType<typeof branchSchema>>;
