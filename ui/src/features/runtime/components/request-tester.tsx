// A small request tester: one of the service's routes called with a method, path, query and body,
// through the API (POST .../runtime/call): the answer comes back as data, so it works wherever the
// services' pages are served (server.content_uri) and no page of a service runs in the UI.
import { Loader2Icon, SendIcon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import { cn } from "@/lib/utils";
import { callRoute } from "../api";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

interface Answer {
  status: number;
  ms: number;
  type: string;
  body: string;
}

export function RequestTester({ pid, routes }: { pid: string; routes: { method: string; path: string }[] }) {
  const { t } = useTranslation();
  const first = routes[0];
  const [method, setMethod] = useState<string>(first && METHODS.includes(first.method as never) ? first.method : "GET");
  const [path, setPath] = useState(first?.path ?? "/");
  const [query, setQuery] = useState("");
  const [body, setBody] = useState("");
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const send = async () => {
    setBusy(true);
    setFailure(null);
    const began = performance.now();
    try {
      const withBody = method !== "GET" && body.trim() !== "";
      const response = await callRoute(pid, {
        method,
        path: path.startsWith("/") ? path : `/${path}`,
        query: query.trim().replace(/^\?/, ""),
        body: withBody ? body : "",
        contentType: withBody ? (looksJson(body) ? "application/json" : "text/plain") : null,
      });
      const type = response.headers["content-type"] ?? "";
      setAnswer({ status: response.status, ms: Math.round(performance.now() - began), type, body: pretty(response.body, type) });
    } catch (error) {
      setFailure((error as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("service.tester")}</CardTitle>
        <CardDescription>{t("service.testerText")}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        <form
          className="grid gap-3"
          onSubmit={(event) => {
            event.preventDefault();
            void send();
          }}
        >
          <div className="flex flex-wrap items-end gap-2">
            <div className="grid gap-1.5">
              <Label htmlFor="tester-method">{t("service.method")}</Label>
              <Select value={method} onValueChange={setMethod}>
                <SelectTrigger id="tester-method" className="w-28 font-mono">
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  {METHODS.map((name) => (
                    <SelectItem key={name} value={name} className="font-mono">
                      {name}
                    </SelectItem>
                  ))}
                </SelectContent>
              </Select>
            </div>
            <div className="grid min-w-48 flex-1 gap-1.5">
              <Label htmlFor="tester-path">{t("service.path")}</Label>
              <Input id="tester-path" className="font-mono" value={path} onChange={(event) => setPath(event.target.value)} spellCheck={false} />
            </div>
            <div className="grid min-w-40 gap-1.5">
              <Label htmlFor="tester-query">{t("service.query")}</Label>
              <Input id="tester-query" className="font-mono" placeholder="a=1&b=2" value={query} onChange={(event) => setQuery(event.target.value)} spellCheck={false} />
            </div>
            <Button type="submit" disabled={busy}>
              {busy ? <Loader2Icon className="animate-spin" /> : <SendIcon />}
              {t("service.send")}
            </Button>
          </div>
          {method !== "GET" && (
            <div className="grid gap-1.5">
              <Label htmlFor="tester-body">{t("service.body")}</Label>
              <Textarea id="tester-body" rows={3} className="font-mono text-xs" placeholder='{"hello": "world"}' value={body} onChange={(event) => setBody(event.target.value)} spellCheck={false} />
            </div>
          )}
        </form>
        {failure && (
          <p role="alert" className="text-sm text-destructive">
            {failure}
          </p>
        )}
        {answer && (
          <div className="grid gap-2" data-testid="tester-answer">
            <div className="flex items-center gap-2 text-sm">
              <Badge variant={answer.status < 400 ? "success" : "destructive"} data-testid="tester-status">
                {answer.status}
              </Badge>
              <span className="text-muted-foreground">
                {answer.ms} ms · {answer.type || "—"}
              </span>
            </div>
            <pre className={cn("max-h-72 overflow-auto rounded-lg border bg-muted/40 p-3 font-mono text-xs whitespace-pre-wrap")} data-testid="tester-body">
              {answer.body}
            </pre>
          </div>
        )}
      </CardContent>
    </Card>
  );
}

function looksJson(text: string) {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function pretty(text: string, type: string) {
  if (!type.includes("json")) return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
