import { COLORS, type ColorName } from "@/features/projects/api";
import { cn } from "@/lib/utils";

/** A project's or goal's colour as a dot; no colour is a hollow ring. */
export function ColorDot({ color, className }: { color: ColorName | null; className?: string }) {
  return (
    <span
      aria-hidden="true"
      className={cn("inline-block size-2.5 shrink-0 rounded-full", !color && "border border-muted-foreground/50", className)}
      style={color ? { backgroundColor: COLORS[color] } : undefined}
    />
  );
}
