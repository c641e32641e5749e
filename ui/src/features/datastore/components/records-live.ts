// Live updates of the records table from `GET .../records/events` (this server's writes): an
// updated record is replaced where it is shown, a deleted one leaves the page, a created one goes
// on top when the table is the newest first (page 1, no filter), else it is counted for a
// "N new records — refresh" note while the page does not show it (the page's own create is
// shown by the reload that follows it, which may land before or after its event); `overflow`
// (the listener fell behind) reloads the page.
import { type QueryKey, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import type { Page } from "@/lib/api";
import { type DataRecord, datastoreKeys, followRecords, type Model, type RecordStreamEvent } from "../api";

const RECONNECT_MS = 3000;

interface View {
  key: QueryKey;
  sort: string;
  page: number;
  filter: string;
  perPage: number;
  /** The rows on screen: a created record among them is not new to the reader. */
  shown: DataRecord[] | undefined;
}

/** Keep what the page has expanded (the event carries the bare record) while the refs are the same. */
function keepExpand(next: DataRecord, old: DataRecord, refs: string[]): DataRecord | null {
  if (!old.expand) return next;
  for (const key of refs) if (JSON.stringify(next[key]) !== JSON.stringify(old[key])) return null;
  return { ...next, expand: old.expand };
}

export function useLiveRecords(pid: string, model: Model | undefined, view: View) {
  const queryClient = useQueryClient();
  const [freshIds, setFreshIds] = useState<string[]>([]); // records created since the page was loaded
  const viewRef = useRef(view);
  viewRef.current = view;
  const keyText = JSON.stringify(view.key);
  useEffect(() => setFreshIds([]), [keyText]);
  const shownIds = new Set((view.shown ?? []).map((record) => record.id));
  const fresh = freshIds.filter((id) => !shownIds.has(id)).length;

  const slug = model?.slug;
  const refs = model ? model.fields.filter((field) => field.type === "ref").map((field) => field.key) : [];
  const refsText = refs.join(",");

  useEffect(() => {
    if (!slug) return;
    const controller = new AbortController();
    const refKeys = refsText ? refsText.split(",") : [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reload = () => void queryClient.invalidateQueries({ queryKey: datastoreKeys.records(pid, slug) });

    const onEvent = (event: RecordStreamEvent) => {
      const { key, sort, page, filter, perPage } = viewRef.current;
      if (event.action === "overflow") {
        setFreshIds([]);
        reload();
        return;
      }
      const record = event.record;
      const shown = queryClient.getQueryData<Page<DataRecord>>(key);
      if (!shown) return;
      const index = shown.items.findIndex((item) => item.id === record.id);
      if (event.action === "update") {
        if (index < 0) return;
        const kept = keepExpand(record, shown.items[index]!, refKeys);
        if (!kept) return reload(); // a ref changed: its expanded name is not in the event
        queryClient.setQueryData<Page<DataRecord>>(key, { ...shown, items: shown.items.map((item, at) => (at === index ? kept : item)) });
      } else if (event.action === "delete") {
        setFreshIds((ids) => (ids.includes(record.id) ? ids.filter((id) => id !== record.id) : ids));
        const totalItems = Math.max(0, shown.totalItems - 1);
        queryClient.setQueryData<Page<DataRecord>>(key, {
          ...shown,
          items: index < 0 ? shown.items : shown.items.filter((item) => item.id !== record.id),
          totalItems: shown.totalItems < 0 ? shown.totalItems : totalItems,
          totalPages: shown.totalItems < 0 ? shown.totalPages : Math.ceil(totalItems / perPage),
        });
      } else if (index < 0) {
        const newestFirst = sort.split(",")[0]?.trim() === "-created" && page === 1 && !filter;
        if (!newestFirst) {
          setFreshIds((ids) => (ids.includes(record.id) ? ids : [...ids, record.id]));
          return;
        }
        const hasExpand = refKeys.some((ref) => record[ref] !== null && record[ref] !== undefined && !(Array.isArray(record[ref]) && (record[ref] as unknown[]).length === 0));
        if (hasExpand) return reload(); // its ref names come with the list, not the event
        const totalItems = shown.totalItems + 1;
        queryClient.setQueryData<Page<DataRecord>>(key, {
          ...shown,
          items: [record, ...shown.items].slice(0, perPage),
          totalItems,
          totalPages: Math.ceil(totalItems / perPage),
        });
      }
    };

    const follow = () => {
      followRecords(pid, slug, controller.signal, onEvent)
        .catch((error: unknown) => {
          if ((error as Error).name === "AbortError") return "aborted";
          return (error as { status?: number }).status === 401 ? "aborted" : "failed";
        })
        .then((how) => {
          if (how === "aborted" || controller.signal.aborted) return;
          // The stream ended (a server restart, a proxy's timeout): reconnect, and reload what
          // may have changed in between.
          timer = setTimeout(() => {
            reload();
            follow();
          }, RECONNECT_MS);
        });
    };
    follow();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [pid, slug, refsText, queryClient]);

  return { fresh, clearFresh: () => setFreshIds([]) };
}
