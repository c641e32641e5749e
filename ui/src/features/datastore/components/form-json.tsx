// The `json` widget of document/json fields: the JSON text in Monaco (components/monaco/json-editor,
// loaded on first use with the rest of the `monaco` chunk, so a form without such a field never
// loads Monaco), with a line under it that says whether the text is JSON, and Format.
import { lazy, Suspense, useCallback, useRef } from "react";
import type * as React from "react";
import { useTranslation } from "react-i18next";
import type { JsonEditorHandle } from "@/components/monaco/json-editor";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { cn } from "@/lib/utils";
import type { TextEditorProps } from "./form-controls";
import { jsonProblem } from "./form-values";

const JsonEditor = lazy(() => import("@/components/monaco/json-editor"));

export interface JsonFieldProps extends TextEditorProps {
  label: string;
}

export function JsonField({ label, value, onChange, onBlur, aria, inputRef, disabled }: JsonFieldProps) {
  const { t } = useTranslation();
  const editor = useRef<JsonEditorHandle | null>(null);
  const handle = useCallback(
    (instance: JsonEditorHandle | null) => {
      editor.current = instance;
      if (typeof inputRef === "function") inputRef(instance);
      else if (inputRef) (inputRef as React.RefObject<{ focus: () => void } | null>).current = instance;
    },
    [inputRef],
  );
  const problem = jsonProblem(value);
  const invalid = aria["aria-invalid"];
  return (
    <div
      className={cn(
        "overflow-hidden rounded-md border border-input shadow-xs focus-within:border-ring focus-within:ring-[3px] focus-within:ring-ring/50",
        invalid && "border-destructive focus-within:ring-destructive/20",
      )}
      data-testid="json-field"
    >
      <Suspense fallback={<Skeleton className="h-[76px] rounded-none" />}>
        <JsonEditor
          handle={handle}
          value={value}
          onChange={onChange}
          onBlur={onBlur}
          label={label}
          id={aria.id}
          labelledBy={aria["aria-labelledby"]}
          describedBy={aria["aria-describedby"]}
          invalid={invalid}
          required={aria["aria-required"]}
          readOnly={disabled}
        />
      </Suspense>
      <div className="flex min-h-8 flex-wrap items-center gap-x-3 gap-y-1 border-t bg-muted/40 px-3 py-1 text-xs">
        <span className={cn("min-w-0 flex-1", problem && !invalid ? "text-destructive" : "text-muted-foreground")} data-testid="json-status">
          {/* an error under the field says it already */}
          {value.trim() === "" || invalid ? "" : problem ? t("datastore.form.invalidJson", { reason: problem }) : t("datastore.form.validJson")}
        </span>
        <span className="text-muted-foreground">{t("jsonField.tabHint")}</span>
        <Button
          type="button"
          variant="ghost"
          size="sm"
          className="h-6 px-2 text-xs"
          disabled={disabled || !value.trim() || Boolean(problem)}
          onClick={() => {
            editor.current?.format();
            editor.current?.focus();
          }}
          title={t("jsonField.formatHint")}
          aria-keyshortcuts="Shift+Alt+F"
        >
          {t("jsonField.format")}
        </Button>
      </div>
    </div>
  );
}
