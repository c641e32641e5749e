// Leaving with unsaved changes asks first: another page, another branch (the URL's search), a
// reload or closing the tab (the browser's own prompt).
import { useBlocker } from "@tanstack/react-router";
import { useTranslation } from "react-i18next";
import { ConfirmDialog } from "@/components/confirm-dialog";

export function UnsavedGuard({ dirty }: { dirty: boolean }) {
  const { t } = useTranslation();
  const blocker = useBlocker({
    shouldBlockFn: ({ current, next }) =>
      dirty && (current.pathname !== next.pathname || JSON.stringify(current.search) !== JSON.stringify(next.search)),
    enableBeforeUnload: () => dirty,
    withResolver: true,
  });
  return (
    <ConfirmDialog
      open={blocker.status === "blocked"}
      onOpenChange={(open) => !open && blocker.status === "blocked" && blocker.reset()}
      title={t("code.leaveTitle")}
      description={t("code.leaveText")}
      confirm={t("code.leave")}
      onConfirm={() => blocker.proceed?.()}
    />
  );
}
