// The current run's log: the last lines, older ones paged in backwards, new ones live (SSE),
// a level filter, a search, pause/resume and a download; a past run's log (the run picker) the
// same way, without the live part. A virtualised list: 100,000 lines scroll
// as smoothly as 100. The API answers {lines: [...]} and only that is read (the seed crashed on
// `logs.filter is not a function` by treating the answer as the array).
// What keeps 100,000 lines smooth (docs/performance.md "UI"): the lines are kept as the pages
// they came in (a page in is one more chunk, never a copy of every line nor a parse of every
// line), a row parses its own line when it is drawn, and a scroll re-renders only the list
// (LogList, memoised), whose rows are memoised too, not the header and the filters.
import { useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { ArrowUpIcon, DownloadIcon, PauseIcon, PlayIcon, SearchIcon } from "lucide-react";
import { memo, type RefObject, useCallback, useDeferredValue, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { ErrorState } from "@/components/error-state";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { useProject } from "@/features/projects/use-project";
import { formatNumber } from "@/lib/format";
import { toastError } from "@/lib/form";
import { cn } from "@/lib/utils";
import { followLog, LEVELS, type Level, logDownload, logPage, logTailQuery, LOG_PAGE, parseLine, runsQuery } from "../api";
import { RunPicker, RunSummary } from "./run-picker";

const ROW = 20; // px: one line, monospace
const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const COLOR: Record<Level, string> = {
  debug: "text-muted-foreground",
  info: "text-sky-700 dark:text-sky-300",
  warn: "text-amber-700 dark:text-amber-300",
  error: "text-red-700 dark:text-red-300",
};
const rowSize = () => ROW; // fixed: the virtualizer measures nothing

/** The log as the pages it came in: older pages go in front, live lines fill the last chunk. */
type Chunks = readonly string[][];
function appendLines(chunks: Chunks, added: string[]): Chunks {
  if (!added.length) return chunks;
  const last = chunks.at(-1);
  if (last && last.length < LOG_PAGE) return [...chunks.slice(0, -1), last.concat(added)];
  return [...chunks, added];
}

export function LogsPage() {
  const { t } = useTranslation();
  const project = useProject().data!;
  const pid = project.id;
  const [run, setRun] = useState<number>(); // undefined: the current run
  const runs = useQuery(runsQuery(pid));
  const tail = useQuery(logTailQuery(pid, run));
  const [chunks, setChunks] = useState<Chunks>([]);
  const [offset, setOffset] = useState(0); // the log's line number of lines[0]
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [paused, setPaused] = useState(false);
  const held = useRef<string[]>([]);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const [level, setLevel] = useState<"all" | Level>("all");
  const [typed, setTyped] = useState("");
  const search = useDeferredValue(typed.trim().toLowerCase());

  useEffect(() => {
    if (!tail.data) return;
    setChunks([tail.data.lines]);
    setOffset(tail.data.offset);
    held.current = [];
  }, [tail.data]);

  // Live lines, from when the tail was read (lines written between the two are in both: the
  // stream starts after the page, and a duplicate at the seam is cheaper than a gap).
  const refetchRuns = runs.refetch;
  useEffect(() => {
    if (!tail.data || run !== undefined) return; // a past run's log no longer grows
    const controller = new AbortController();
    followLog(
      pid,
      controller.signal,
      (added) => {
        if (pausedRef.current) held.current.push(...added);
        else setChunks((all) => appendLines(all, added));
      },
      () => {
        held.current = [];
        setChunks([]);
        setOffset(0);
        toast.info(t("logs.reset"));
        void refetchRuns(); // the run that ended is a past run now
      },
    ).catch((error: unknown) => {
      if ((error as Error).name !== "AbortError") toastError(error);
    });
    return () => controller.abort();
  }, [pid, tail.data, t, run, refetchRuns]);

  const resume = () => {
    setChunks((all) => appendLines(all, held.current.splice(0)));
    setPaused(false);
  };

  // Older lines go in above what is on screen: where the view was goes to LogList, which keeps it.
  const keep = useRef<Keep | null>(null);
  const olderLines = useCallback(async () => {
    if (offset === 0 || loadingOlder) return;
    setLoadingOlder(true);
    try {
      const from = Math.max(0, offset - LOG_PAGE);
      const page = await logPage(pid, from, offset - from, run);
      if (page.lines.length) {
        keep.current = { shown: shownCount.current, top: scroller.current?.scrollTop ?? 0 };
        setChunks((all) => [page.lines, ...all]);
      }
      setOffset(from);
    } catch (error) {
      toastError(error);
    } finally {
      setLoadingOlder(false);
    }
  }, [offset, loadingOlder, pid, run]);

  const scroller = useRef<HTMLDivElement>(null);
  const shownCount = useRef(0);
  const total = useMemo(() => chunks.reduce((sum, chunk) => sum + chunk.length, 0), [chunks]);
  // A filter goes over each chunk once: a page that comes in is the only one filtered then.
  const filtered = useMemo(() => ({ level, search, of: new WeakMap<string[], string[]>() }), [level, search]); // a new filter, a new cache
  const shown = useMemo(() => {
    if (level === "all" && !search) return chunks.length === 1 ? chunks[0]! : chunks.flat();
    const floor = RANK[level === "all" ? "debug" : level];
    const matches = (raw: string) => {
      const line = parseLine(raw);
      return RANK[line.level] >= floor && (!search || line.text.toLowerCase().includes(search) || line.time.includes(search));
    };
    return chunks.flatMap((chunk) => {
      let kept = filtered.of.get(chunk);
      if (!kept) filtered.of.set(chunk, (kept = chunk.filter(matches)));
      return kept;
    });
  }, [chunks, level, search, filtered]);
  shownCount.current = shown.length;

  const download = async () => {
    try {
      const blob = await logDownload(pid, run);
      const href = URL.createObjectURL(blob);
      const anchor = document.createElement("a");
      anchor.href = href;
      anchor.download = run === undefined ? `${project.slug}.log` : `${project.slug}-run-${run}.log`;
      anchor.click();
      setTimeout(() => URL.revokeObjectURL(href), 1000);
    } catch (error) {
      toastError(error);
    }
  };

  return (
    <div className="flex h-[calc(100dvh-5.5rem)] min-h-[26rem] flex-col gap-3 md:h-[calc(100dvh-6.5rem)]">
      <PageHeader
        title={t("logs.title")}
        description={t("runs.description")}
        actions={
          <>
            <RunPicker runs={runs.data?.items} run={run} onChange={setRun} onOpen={() => void runs.refetch()} />
            {run === undefined && (
              <>
                <Badge variant={paused ? "outline" : "success"} data-testid="live">
                  {paused ? t("logs.paused") : t("logs.live")}
                </Badge>
                <Button variant="outline" onClick={() => (paused ? resume() : setPaused(true))}>
                  {paused ? <PlayIcon /> : <PauseIcon />}
                  {paused ? t("logs.resume") : t("logs.pause")}
                </Button>
              </>
            )}
            <Button variant="outline" onClick={() => void download()}>
              <DownloadIcon />
              {t("logs.download")}
            </Button>
          </>
        }
      />
      {run !== undefined && <RunSummary run={runs.data?.items.find((item) => item.id === run)} onBack={() => setRun(undefined)} />}
      <div className="flex flex-wrap items-center gap-2">
        <div className="relative">
          <SearchIcon className="pointer-events-none absolute top-2.5 left-2.5 size-4 text-muted-foreground" aria-hidden="true" />
          <Input type="search" className="w-64 pl-8" placeholder={t("logs.search")} aria-label={t("logs.search")} value={typed} onChange={(event) => setTyped(event.target.value)} />
        </div>
        <Select value={level} onValueChange={(next) => setLevel(next as "all" | Level)}>
          <SelectTrigger className="w-44" aria-label={t("logs.level")}>
            <SelectValue />
          </SelectTrigger>
          <SelectContent>
            <SelectItem value="all">{t("logs.levels.all")}</SelectItem>
            {LEVELS.slice(1).map((name) => (
              <SelectItem key={name} value={name}>
                {t(`logs.levels.${name}`)}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
        {offset > 0 && (
          <Button variant="ghost" size="sm" onClick={() => void olderLines()} disabled={loadingOlder}>
            <ArrowUpIcon />
            {t("logs.loadOlder")}
          </Button>
        )}
        <span className="ml-auto text-xs text-muted-foreground" data-testid="log-count">
          {shown.length === total
            ? t("logs.lines", { count: total, n: formatNumber(total) })
            : t("logs.shown", { shown: formatNumber(shown.length), total: formatNumber(total) })}
        </span>
      </div>
      <div className="min-h-0 flex-1 overflow-hidden rounded-xl border bg-card">
        {tail.isError ? (
          <ErrorState error={tail.error} retry={() => void tail.refetch()} />
        ) : tail.isPending ? (
          <Skeleton className="h-full w-full rounded-none" />
        ) : shown.length === 0 ? (
          <p className="p-6 text-center text-sm text-muted-foreground">{total ? t("logs.noMatch") : t("logs.empty")}</p>
        ) : (
          <LogList key={`${run ?? "current"} ${tail.dataUpdatedAt}`} lines={shown} more={offset > 0} loadOlder={olderLines} scroller={scroller} keep={keep} />
        )}
      </div>
    </div>
  );
}

/** Where the view was when a page of older lines came in (`shown`: the rows before it). */
interface Keep {
  shown: number;
  top: number;
}

interface LogListProps {
  lines: string[];
  /** older lines to page in */
  more: boolean;
  loadOlder: () => Promise<void>;
  scroller: RefObject<HTMLDivElement | null>;
  keep: RefObject<Keep | null>;
}

/**
 * The virtualised list, on its own: a scroll re-renders this (the virtualizer's state) and not
 * the page around it; its props change only when the lines do.
 */
const LogList = memo(function LogList({ lines, more, loadOlder, scroller, keep }: LogListProps) {
  const { t } = useTranslation();
  const virtual = useVirtualizer({ count: lines.length, getScrollElement: () => scroller.current, estimateSize: rowSize, overscan: 30 });
  // Older lines go in above what is on screen; the view stays on the same lines (moved down by
  // the height of the rows added, measured after the filter).
  useLayoutEffect(() => {
    const kept = keep.current;
    if (!kept || !scroller.current) return;
    keep.current = null;
    scroller.current.scrollTop = kept.top + (lines.length - kept.shown) * ROW;
  }, [lines.length, keep, scroller]);
  // Following the end: when the view is at the bottom, new lines keep it there.
  const atEnd = useRef(true);
  useEffect(() => {
    if (atEnd.current && lines.length) virtual.scrollToIndex(lines.length - 1, { align: "end" });
  }, [lines.length, virtual]);

  return (
    <div
      ref={scroller}
      className="h-full overflow-auto font-mono text-xs"
      role="log"
      aria-label={t("logs.list")}
      tabIndex={0}
      onScroll={(event) => {
        // The height from the virtualizer (known, no layout read): this runs on every scroll.
        const top = event.currentTarget.scrollTop;
        atEnd.current = lines.length * ROW - top - (virtual.scrollRect?.height ?? 0) < ROW * 2;
        if (top < ROW * 5 && more) void loadOlder(); // paging backwards on scroll
      }}
    >
      <div style={{ height: virtual.getTotalSize(), position: "relative", minWidth: "100%" }}>
        {virtual.getVirtualItems().map((item) => (
          <LogRow key={item.key} raw={lines[item.index]!} start={item.start} />
        ))}
      </div>
    </div>
  );
});

/** One line, parsed when it is drawn; the same line at the same place is not drawn again. */
const LogRow = memo(function LogRow({ raw, start }: { raw: string; start: number }) {
  const line = parseLine(raw);
  return (
    <div
      className="absolute left-0 flex w-full gap-3 px-3 whitespace-pre hover:bg-muted/60"
      style={{ height: ROW, transform: `translateY(${start}px)`, lineHeight: `${ROW}px` }}
      data-testid="log-line"
      data-level={line.level}
    >
      <span className="text-muted-foreground">{line.time}</span>
      <span className={cn("w-11 shrink-0 font-semibold uppercase", COLOR[line.level])}>{line.level}</span>
      <span>{line.text}</span>
    </div>
  );
});
