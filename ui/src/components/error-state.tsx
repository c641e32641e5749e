import { AlertTriangleIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { errorMessage } from "@/lib/form";
import { Button } from "./ui/button";

/** A failed load said plainly, with a retry: never a blank page. */
export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const { t } = useTranslation();
  return (
    <div role="alert" className="flex flex-col items-center gap-3 rounded-xl border border-destructive/30 bg-destructive/5 px-6 py-10 text-center">
      <AlertTriangleIcon className="size-6 text-destructive" aria-hidden="true" />
      <div>
        <p className="font-medium">{t("errors.loadFailed")}</p>
        <p className="text-sm text-muted-foreground">{errorMessage(error)}</p>
      </div>
      {retry && (
        <Button variant="outline" size="sm" onClick={retry}>
          {t("common.retry")}
        </Button>
      )}
    </div>
  );
}
