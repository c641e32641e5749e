// A ref field's picker: searches the referenced model's records on the server (`label ~ "q"` on
// its first string field, else on the id) and shows each record by that field.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import type * as React from "react";
import { errorMessage } from "@/lib/form";
import { type DataRecord, isMulti, modelQuery, type ModelField, recordsQuery } from "../api";
import type { ControlAria } from "./form-controls";
import { Picker, type PickerItem } from "./form-picker";
import { quoted } from "./form-values";

const PAGE = 20;
const LABELLED_AT_MOST = 30; // chosen ids whose labels are fetched at once (one filter of `id = ...` terms)

function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

interface Props {
  pid: string;
  field: ModelField;
  aria: ControlAria;
  inputRef?: React.Ref<HTMLButtonElement>;
  value: string | string[];
  onChange: (value: string | string[]) => void;
  onBlur?: () => void;
  disabled?: boolean;
}

export function RefPicker({ pid, field, aria, inputRef, value, onChange, onBlur, disabled }: Props) {
  const slug = field.options.model ?? "";
  const target = useQuery({ ...modelQuery(pid, slug), enabled: Boolean(slug) });
  const labelKey = target.data?.fields.find((one) => one.type === "string")?.key;
  const [query, setQuery] = useState("");
  const [opened, setOpened] = useState(false); // no search before the picker is first opened
  const settled = useDebounced(query.trim(), 250);
  const filter = settled ? `${labelKey ?? "id"} ~ ${quoted(settled)}` : "";
  const found = useQuery({
    ...recordsQuery(pid, slug, { filter, perPage: PAGE, skipTotal: true, sort: labelKey }),
    enabled: Boolean(target.data) && opened,
  });

  const chosen = useMemo(() => (Array.isArray(value) ? value : value ? [value] : []), [value]);
  const [known, setKnown] = useState<Record<string, string>>({});
  const labelOfRecord = (record: DataRecord) => {
    const text = labelKey ? record[labelKey] : null;
    return typeof text === "string" && text ? text : record.id;
  };
  const items: PickerItem[] = (found.data?.items ?? []).map((record) => ({ value: record.id, label: labelOfRecord(record) }));
  useEffect(() => {
    if (!found.data) return;
    setKnown((before) => {
      const next = { ...before };
      for (const record of found.data.items) next[record.id] = labelOfRecord(record);
      return next;
    });
    // labelOfRecord depends on labelKey only
  }, [found.data, labelKey]);

  // The labels of chosen records not seen in a search (an edited record's refs).
  const unlabelled = chosen.filter((id) => !(id in known)).slice(0, LABELLED_AT_MOST);
  const chosenRecords = useQuery({
    ...recordsQuery(pid, slug, { filter: unlabelled.map((id) => `id = ${quoted(id)}`).join(" || "), perPage: LABELLED_AT_MOST, skipTotal: true }),
    enabled: Boolean(target.data) && unlabelled.length > 0,
  });
  const labels = { ...known };
  for (const record of chosenRecords.data?.items ?? []) labels[record.id] ??= labelOfRecord(record);

  const problem = target.error ?? found.error;
  return (
    <Picker
      aria={aria}
      inputRef={inputRef}
      multi={isMulti(field)}
      value={value}
      onChange={onChange}
      onBlur={onBlur}
      items={items}
      labels={labels}
      max={field.options.maxSelect}
      clearable={!field.required}
      disabled={disabled}
      onOpenChange={(open) => open && setOpened(true)}
      search={{
        query,
        onQuery: setQuery,
        loading: target.isPending || found.isPending || found.isFetching || settled !== query.trim(),
        error: problem ? errorMessage(problem) : undefined,
      }}
    />
  );
}
