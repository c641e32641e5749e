import { useMutation, useQueryClient } from "@tanstack/react-query";
import { EyeIcon, EyeOffIcon, KeyRoundIcon, RefreshCwIcon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { CopyButton } from "@/components/copy-button";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardAction, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { toastError } from "@/lib/form";
import { type Project, projectKeys, regenerateApiKey } from "../api";

/**
 * The server keeps only a hash of the key, so a key can be seen right after it is made (reveal,
 * copy) and never again; regenerating makes a new one and the old one stops working at once.
 */
export function ApiKeyCard({ project }: { project: Project }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [key, setKey] = useState<string | null>(null);
  const [revealed, setRevealed] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const generate = useMutation({
    mutationFn: () => regenerateApiKey(project.id),
    onSuccess: async ({ apiKey }) => {
      setKey(apiKey);
      setRevealed(false);
      toast.success(t("apiKey.generated"));
      await queryClient.invalidateQueries({ queryKey: projectKeys.all });
    },
    onError: toastError,
  });

  return (
    <Card>
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <KeyRoundIcon className="size-4 text-muted-foreground" aria-hidden="true" />
          {t("apiKey.title")}
        </CardTitle>
        <CardDescription>{t("apiKey.description")}</CardDescription>
        <CardAction>
          <Badge variant={project.hasApiKey ? "success" : "secondary"}>{project.hasApiKey ? t("apiKey.active") : t("apiKey.none")}</Badge>
        </CardAction>
      </CardHeader>
      <CardContent className="grid gap-3">
        {key && (
          <div className="grid gap-2">
            <div className="flex items-center gap-1 rounded-md border bg-muted/50 px-3 py-1">
              <code className="min-w-0 flex-1 truncate font-mono text-sm" data-testid="api-key">
                {revealed ? key : "•".repeat(Math.min(key.length, 40))}
              </code>
              <Button
                variant="ghost"
                size="icon-sm"
                aria-label={revealed ? t("apiKey.hide") : t("apiKey.reveal")}
                title={revealed ? t("apiKey.hide") : t("apiKey.reveal")}
                onClick={() => setRevealed(!revealed)}
              >
                {revealed ? <EyeOffIcon /> : <EyeIcon />}
              </Button>
              <CopyButton text={key} label={t("apiKey.copy")} />
            </div>
            <p className="text-xs text-muted-foreground">{t("apiKey.onlyOnce")}</p>
          </div>
        )}
        <div>
          <Button
            variant="outline"
            disabled={generate.isPending}
            onClick={() => (project.hasApiKey ? setConfirming(true) : generate.mutate())}
          >
            <RefreshCwIcon className={generate.isPending ? "animate-spin" : undefined} />
            {project.hasApiKey ? t("apiKey.regenerate") : t("apiKey.generate")}
          </Button>
        </div>
      </CardContent>
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={t("apiKey.confirmTitle")}
        description={t("apiKey.confirmText")}
        confirm={t("apiKey.regenerate")}
        onConfirm={() => generate.mutateAsync().then(() => undefined)}
      />
    </Card>
  );
}
