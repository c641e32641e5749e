// The filter box of the records table: PocketBase's syntax, applied on Enter, with examples and
// the model's fields in a popover, and the server's refusal under it with the place marked.
import { CircleHelpIcon, FilterIcon, XIcon } from "lucide-react";
import { useEffect, useId, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Popover, PopoverContent, PopoverTrigger } from "@/components/ui/popover";
import { cn } from "@/lib/utils";
import type { Model, QueryProblem } from "../api";

const EXAMPLES = ['title ~ "x" && count > 3', "created >= @todayStart", 'tags ?= "a"', 'status = "open" || status = "blocked"', "due != null"];

interface Props {
  model: Model;
  /** The filter in the URL (what the table shows). */
  applied: string;
  onApply: (filter: string) => void;
  problem: QueryProblem | null;
}

export function RecordsFilter({ model, applied, onApply, problem }: Props) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState(applied);
  const [help, setHelp] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const errorId = useId();
  useEffect(() => setTyped(applied), [applied]);

  const apply = (text: string) => onApply(text.trim());
  const insert = (example: string) => {
    setTyped(example);
    setHelp(false);
    input.current?.focus();
  };
  const fields = ["id", "created", "updated", ...model.fields.map((field) => field.key)];
  const types = new Map(model.fields.map((field) => [field.key, field.type as string]));

  return (
    <div className="grid min-w-0 flex-1 gap-1.5">
      <div className="flex items-center gap-1.5">
        <div className="relative min-w-0 flex-1">
          <FilterIcon className="pointer-events-none absolute top-2.5 left-2.5 size-4 text-muted-foreground" aria-hidden="true" />
          <Input
            ref={input}
            className="pr-8 pl-8 font-mono text-xs md:text-xs"
            placeholder={t("datastore.records.filterPlaceholder")}
            aria-label={t("datastore.records.filter")}
            aria-invalid={problem?.param === "filter" || undefined}
            aria-describedby={problem ? errorId : undefined}
            spellCheck={false}
            autoComplete="off"
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === "Enter") {
                event.preventDefault();
                apply(typed);
              } else if (event.key === "Escape" && typed !== applied) {
                event.preventDefault();
                setTyped(applied);
              }
            }}
          />
          {(typed || applied) && (
            <button
              type="button"
              className="absolute top-2 right-2 rounded-sm text-muted-foreground hover:text-foreground"
              aria-label={t("datastore.records.clearFilter")}
              onClick={() => {
                setTyped("");
                if (applied) onApply("");
                input.current?.focus();
              }}
            >
              <XIcon className="size-4" aria-hidden="true" />
            </button>
          )}
        </div>
        <Popover open={help} onOpenChange={setHelp}>
          <PopoverTrigger asChild>
            <Button variant="ghost" size="icon" aria-label={t("datastore.records.filterHelp")}>
              <CircleHelpIcon />
            </Button>
          </PopoverTrigger>
          <PopoverContent align="end" className="w-[26rem] text-sm" aria-label={t("datastore.records.filterHelp")}>
            <p className="font-medium">{t("datastore.records.filterHelp")}</p>
            <p className="mt-1 text-xs text-muted-foreground">{t("datastore.records.filterHelpText")}</p>
            <p className="mt-3 text-xs font-medium">{t("datastore.records.examples")}</p>
            <ul className="mt-1 grid gap-1">
              {EXAMPLES.map((example) => (
                <li key={example}>
                  <button type="button" className="w-full rounded-sm bg-muted px-2 py-1 text-left font-mono text-xs hover:bg-accent" onClick={() => insert(example)}>
                    {example}
                  </button>
                </li>
              ))}
            </ul>
            <p className="mt-3 text-xs text-muted-foreground">{t("datastore.records.operators")}</p>
            <p className="mt-1 font-mono text-xs">= != &gt; &gt;= &lt; &lt;= ~ !~ ?= ?!= ?~ &amp;&amp; || ( )</p>
            <p className="mt-1 font-mono text-xs">@now @todayStart @todayEnd @monthStart @monthEnd @yearStart @yearEnd</p>
            <p className="mt-3 text-xs font-medium">{t("datastore.records.fields")}</p>
            <p className="mt-1 flex flex-wrap gap-x-2 gap-y-0.5 font-mono text-xs">
              {fields.map((key) => (
                <span key={key}>
                  {key}
                  {types.has(key) && <span className="text-muted-foreground">:{types.get(key)}</span>}
                </span>
              ))}
            </p>
          </PopoverContent>
        </Popover>
      </div>
      {problem && <ProblemNote id={errorId} problem={problem} text={problem.param === "filter" ? applied : null} />}
    </div>
  );
}

/** The server's reason, and the text with the character it names marked (a caret past the end). */
function ProblemNote({ id, problem, text }: { id: string; problem: QueryProblem; text: string | null }) {
  const { t } = useTranslation();
  const at = problem.position;
  const marked = text !== null && at !== null && at >= 0 && at <= text.length;
  return (
    <div id={id} role="alert" className="grid gap-1 rounded-md border border-destructive/40 bg-destructive/5 px-3 py-2 text-xs" data-testid="filter-error">
      <p className="text-destructive">
        {problem.param === "sort" ? t("datastore.records.sortError") : t("datastore.records.filterError")}: {problem.message}
        {at !== null && " "}
        {at !== null && <span data-testid="filter-error-position">{t("datastore.records.atCharacter", { position: at + 1 })}</span>}
      </p>
      {marked && (
        <pre className="overflow-x-auto font-mono whitespace-pre" aria-hidden="true">
          {text.slice(0, at)}
          <mark data-testid="filter-error-mark" className={cn("rounded-xs bg-destructive/25 text-foreground underline decoration-destructive decoration-wavy", at === text.length && "px-0.5")}>
            {text.slice(at, at + 1) || " "}
          </mark>
          {text.slice(at + 1)}
        </pre>
      )}
    </div>
  );
}
