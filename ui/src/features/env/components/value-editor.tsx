// The editor for an environment value, by type. Numbers are typed as text on purpose: the
// server decides what fits (its 422 appears under the field), the form does not second-guess it.
import type * as React from "react";
import { useTranslation } from "react-i18next";
import { Input } from "@/components/ui/input";
import { Switch } from "@/components/ui/switch";
import { Textarea } from "@/components/ui/textarea";
import type { EnvType } from "../api";

interface Props {
  type: EnvType;
  text: string;
  flag: boolean;
  onText: (text: string) => void;
  onFlag: (flag: boolean) => void;
  control: { id: string; "aria-invalid": boolean; "aria-describedby"?: string };
  /** react-hook-form's ref, so that a server error on the value focuses the editor. */
  inputRef?: React.Ref<HTMLInputElement & HTMLTextAreaElement & HTMLButtonElement>;
}

export function jsonProblem(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

export function ValueEditor({ type, text, flag, onText, onFlag, control, inputRef }: Props) {
  const { t } = useTranslation();
  switch (type) {
    case "boolean":
      return (
        <div className="flex items-center gap-3">
          <Switch {...control} ref={inputRef} checked={flag} onCheckedChange={onFlag} />
          <span className="text-sm text-muted-foreground">{flag ? t("env.true") : t("env.false")}</span>
        </div>
      );
    case "text":
      return <Textarea {...control} ref={inputRef} rows={5} value={text} onChange={(event) => onText(event.target.value)} />;
    case "json": {
      const problem = text.trim() ? jsonProblem(text) : null;
      return (
        <div className="grid gap-1">
          <Textarea
            {...control}
            ref={inputRef}
            rows={8}
            spellCheck={false}
            className="font-mono text-xs"
            value={text}
            onChange={(event) => onText(event.target.value)}
            placeholder='{"key": "value"}'
          />
          <p className={problem ? "text-xs text-destructive" : "text-xs text-success"} aria-live="polite">
            {problem ? t("env.invalidJson", { reason: problem }) : text.trim() ? t("env.validJson") : ""}
          </p>
        </div>
      );
    }
    case "integer":
    case "float":
      return (
        <Input
          {...control}
          ref={inputRef}
          inputMode={type === "integer" ? "numeric" : "decimal"}
          className="font-mono"
          value={text}
          onChange={(event) => onText(event.target.value)}
          placeholder={type === "integer" ? "42" : "3.14"}
          autoComplete="off"
        />
      );
    default:
      return <Input {...control} ref={inputRef} value={text} onChange={(event) => onText(event.target.value)} autoComplete="off" />;
  }
}
