import { ToggleGroup } from "radix-ui";
import { useTranslation } from "react-i18next";
import { Input } from "@/components/ui/input";
import { PERIODS, type Period } from "../schema";

export interface PeriodValue {
  period: Period;
  from: string;
  to: string;
}

export function PeriodPicker({ value, onChange }: { value: PeriodValue; onChange: (value: PeriodValue) => void }) {
  const { t } = useTranslation();
  return (
    <div className="flex flex-wrap items-center gap-2">
      <ToggleGroup.Root
        type="single"
        value={value.period}
        onValueChange={(next) => next && onChange({ ...value, period: next as Period })}
        aria-label={t("stats.period")}
        className="flex rounded-md border p-0.5"
      >
        {PERIODS.map((period) => (
          <ToggleGroup.Item
            key={period}
            value={period}
            className="rounded-sm px-2.5 py-1 text-sm text-muted-foreground outline-none hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring data-[state=on]:bg-accent data-[state=on]:font-medium data-[state=on]:text-foreground"
          >
            {t(`stats.periods.${period}`)}
          </ToggleGroup.Item>
        ))}
      </ToggleGroup.Root>
      {value.period === "custom" && (
        <div className="flex items-center gap-2">
          <Input
            type="date"
            aria-label={t("stats.from")}
            value={value.from}
            max={value.to}
            onChange={(event) => onChange({ ...value, from: event.target.value })}
            className="w-40"
          />
          <span className="text-muted-foreground">–</span>
          <Input
            type="date"
            aria-label={t("stats.to")}
            value={value.to}
            min={value.from}
            onChange={(event) => onChange({ ...value, to: event.target.value })}
            className="w-40"
          />
        </div>
      )}
    </div>
  );
}
