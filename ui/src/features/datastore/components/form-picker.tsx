// A pick-one or pick-many list in a popover (select values with several allowed, refs): a
// combobox button, a search box, the items; chosen values of a multi picker are badges under it.
import { CheckIcon, ChevronsUpDownIcon, Loader2Icon, XIcon } from "lucide-react";
import { useState } from "react";
import type * as React from "react";
import { useTranslation } from "react-i18next";
import { Badge } from "@/components/ui/badge";
import { Command, CommandEmpty, CommandGroup, CommandInput, CommandItem, CommandList } from "@/components/ui/command";
import { Popover, PopoverContent, PopoverTrigger } from "@/components/ui/popover";
import { cn } from "@/lib/utils";
import type { ControlAria } from "./form-controls";

export interface PickerItem {
  value: string;
  label: string;
}

interface Props {
  aria: ControlAria;
  inputRef?: React.Ref<HTMLButtonElement>;
  multi: boolean;
  value: string | string[];
  onChange: (value: string | string[]) => void;
  onBlur?: () => void;
  items: PickerItem[];
  /** Labels of chosen values the items may not hold (a ref's records off the current page). */
  labels?: Record<string, string>;
  /** At most this many values (multi). */
  max?: number;
  /** A "none" entry to clear a single value. */
  clearable?: boolean;
  /** Searching on the server: the query is controlled here and the items are its answer. */
  search?: { query: string; onQuery: (query: string) => void; loading: boolean; error?: string };
  /** The popover opened or closed (a ref searches only once it is opened). */
  onOpenChange?: (open: boolean) => void;
  disabled?: boolean;
}

export function Picker({ aria, inputRef, multi, value, onChange, onBlur, items, labels = {}, max, clearable, search, onOpenChange, disabled }: Props) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const chosen = Array.isArray(value) ? value : value ? [value] : [];
  const labelOf = (id: string) => items.find((item) => item.value === id)?.label ?? labels[id] ?? id;
  const full = multi && max !== undefined && chosen.length >= max;

  const pick = (id: string) => {
    if (!multi) {
      onChange(id);
      setOpen(false);
      onOpenChange?.(false);
      return;
    }
    if (chosen.includes(id)) onChange(chosen.filter((one) => one !== id));
    else if (!full) onChange([...chosen, id]);
  };

  return (
    <div className="grid gap-2">
      <Popover
        open={open}
        onOpenChange={(next) => {
          setOpen(next);
          onOpenChange?.(next);
          if (!next) onBlur?.();
        }}
      >
        <PopoverTrigger asChild>
          <button
            type="button"
            role="combobox"
            aria-expanded={open}
            {...aria}
            ref={inputRef}
            disabled={disabled}
            className={cn(
              "flex h-9 w-full items-center justify-between gap-2 rounded-md border border-input bg-transparent px-3 py-2 text-left text-sm shadow-xs outline-none focus-visible:border-ring focus-visible:ring-[3px] focus-visible:ring-ring/50 disabled:cursor-not-allowed disabled:opacity-50 aria-invalid:border-destructive dark:bg-input/30",
              chosen.length === 0 && "text-muted-foreground",
            )}
          >
            <span className="truncate">
              {chosen.length === 0 ? t("datastore.form.choose") : multi ? t("datastore.form.selected", { count: chosen.length }) : labelOf(chosen[0]!)}
            </span>
            <ChevronsUpDownIcon className="size-4 shrink-0 opacity-50" />
          </button>
        </PopoverTrigger>
        <PopoverContent className="w-(--radix-popover-trigger-width) min-w-64 p-0" align="start" aria-labelledby={aria["aria-labelledby"]}>
          <Command shouldFilter={!search}>
            <CommandInput
              aria-label={t("datastore.form.search")}
              placeholder={t("datastore.form.search")}
              {...(search ? { value: search.query, onValueChange: search.onQuery } : {})}
            />
            <CommandList>
              {search?.loading ? (
                <div className="flex items-center justify-center gap-2 py-6 text-sm text-muted-foreground">
                  <Loader2Icon className="size-4 animate-spin" />
                  {t("common.loading")}
                </div>
              ) : search?.error ? (
                <div role="alert" className="px-3 py-6 text-center text-sm text-destructive">
                  {search.error}
                </div>
              ) : (
                <CommandEmpty>{t("datastore.form.nothingFound")}</CommandEmpty>
              )}
              <CommandGroup>
                {clearable && !multi && chosen.length > 0 && !search?.query && (
                  <CommandItem value="\u0000none" keywords={[t("datastore.form.none")]} onSelect={() => pick("")}>
                    <span className="text-muted-foreground">{t("datastore.form.none")}</span>
                  </CommandItem>
                )}
                {items.map((item) => {
                  const on = chosen.includes(item.value);
                  return (
                    <CommandItem key={item.value} value={item.value} keywords={[item.label]} disabled={!on && full} onSelect={() => pick(item.value)}>
                      <CheckIcon className={cn("size-4", on ? "opacity-100" : "opacity-0")} />
                      <span className="truncate">{item.label}</span>
                    </CommandItem>
                  );
                })}
              </CommandGroup>
            </CommandList>
          </Command>
        </PopoverContent>
      </Popover>
      {multi && chosen.length > 0 && (
        <ul className="flex flex-wrap gap-1.5" aria-label={t("datastore.form.chosen")}>
          {chosen.map((id) => (
            <li key={id}>
              <Badge variant="secondary" className="gap-1 pr-1">
                {labelOf(id)}
                <button
                  type="button"
                  className="rounded-sm p-0.5 hover:bg-background/60 focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
                  aria-label={t("datastore.form.removeValue", { label: labelOf(id) })}
                  disabled={disabled}
                  onClick={() => onChange(chosen.filter((one) => one !== id))}
                >
                  <XIcon className="size-3" />
                </button>
              </Badge>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
