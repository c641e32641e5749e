// The 16 system colours and "none" as a radio group: arrow keys move, the name is the label.
import { CheckIcon } from "lucide-react";
import { RadioGroup } from "radix-ui";
import { useTranslation } from "react-i18next";
import { COLOR_NAMES, COLORS, type ColorName } from "@/features/projects/api";
import { cn } from "@/lib/utils";

const NONE = "none";

export function ColorPicker({
  value,
  onChange,
  id,
}: {
  value: ColorName | null;
  onChange: (value: ColorName | null) => void;
  id?: string;
}) {
  const { t } = useTranslation();
  return (
    <RadioGroup.Root
      id={id}
      aria-label={t("common.color")}
      value={value ?? NONE}
      onValueChange={(next) => onChange(next === NONE ? null : (next as ColorName))}
      className="flex flex-wrap gap-1.5"
      orientation="horizontal"
    >
      <RadioGroup.Item
        value={NONE}
        aria-label={t("colors.none")}
        title={t("colors.none")}
        className="relative flex size-7 items-center justify-center rounded-full border border-dashed border-muted-foreground/60 outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50"
      >
        <span className="h-px w-4 rotate-45 bg-muted-foreground" />
        <RadioGroup.Indicator className="absolute inset-0 rounded-full ring-2 ring-foreground ring-offset-2 ring-offset-background" />
      </RadioGroup.Item>
      {COLOR_NAMES.map((name) => (
        <RadioGroup.Item
          key={name}
          value={name}
          aria-label={t(`colors.${name}`)}
          title={t(`colors.${name}`)}
          data-color={name}
          className={cn(
            "relative flex size-7 items-center justify-center rounded-full text-white outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50",
          )}
          style={{ backgroundColor: COLORS[name] }}
        >
          <RadioGroup.Indicator>
            <CheckIcon className="size-4" strokeWidth={3} />
          </RadioGroup.Indicator>
        </RadioGroup.Item>
      ))}
    </RadioGroup.Root>
  );
}
