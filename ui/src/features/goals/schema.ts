import { z } from "zod";
import i18n from "@/lib/i18n";
import { colorSchema } from "@/features/projects/schema";

export const goalSchema = () =>
  z.object({
    name: z.string().trim().min(1, i18n.t("validation.required")).max(100),
    slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, i18n.t("validation.goalKey")),
    color: colorSchema,
    type: z.enum(["counter", "daily_counter"]),
    description: z.string().max(5000),
    allowedProjects: z.array(z.string()),
  });
export type GoalValues = z.infer<ReturnType<typeof goalSchema>>;

/** The period presets of the statistics view; "custom" uses the two date inputs. */
export const PERIODS = ["today", "7", "30", "90", "custom"] as const;
export type Period = (typeof PERIODS)[number];

const day = (date: Date) => date.toISOString().slice(0, 10);

/** [from, to] as YYYY-MM-DD (UTC, as the server counts days). */
export function periodRange(period: Exclude<Period, "custom">, today = new Date()): [string, string] {
  const days = period === "today" ? 1 : Number(period);
  const from = new Date(today);
  from.setUTCDate(from.getUTCDate() - (days - 1));
  return [day(from), day(today)];
}
