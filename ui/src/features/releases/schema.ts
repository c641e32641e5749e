import { z } from "zod";
import { TAGS } from "./api";

export const releaseSchema = () =>
  z.object({
    branch: z.string().min(1),
    bump: z.enum(["minor", "major"]),
    comment: z.string().max(2000),
    tags: z.array(z.enum(TAGS)),
  });
export type ReleaseValues = z.infer<ReturnType<typeof releaseSchema>>;
