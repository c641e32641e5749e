// The editor for an environment value, by type. Numbers are typed as text on purpose: the
// server decides what fits (its 422 appears under the field), the form does not second-guess it.
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
}

export function jsonProblem(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

export function ValueEditor({ type, text, flag, onText, onFlag, control }: Props) {
  const { t } = useTranslation();
  switch (type) {
    case "boolean":
      return (
        <div className="flex items-center gap-3">
          <Switch {...control} checked={flag} onCheckedChange={onFlag} />
          <span className="text-sm text-muted-foreground">{flag ? t("env.true") : t("env.false")}</span>
        </div>
      );
    case "text":
      return <Textarea {...control} rows={5} value={text} onChange={(event) => onText(event.target.value)} />;
    case "json": {
      const problem = text.trim() ? jsonProblem(text) : null;
      return (
        <div className="grid gap-1">
          <Textarea
            {...control}
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
          inputMode={type === "integer" ? "numeric" : "decimal"}
          className="font-mono"
          value={text}
          onChange={(event) => onText(event.target.value)}
          placeholder={type === "integer" ? "42" : "3.14"}
          autoComplete="off"
        />
      );
    default:
      return <Input {...control} value={text} onChange={(event) => onText(event.target.value)} autoComplete="off" />;
  }
}
