import { useTranslation } from "react-i18next";
import { abilities, useMe } from "@/features/auth/api";
import { GoalsView } from "./goals-view";

export function GlobalGoalsPage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  return (
    <GoalsView
      scope={{ kind: "global" }}
      title={t("goals.globalTitle")}
      description={t("goals.globalPageDescription")}
      canEdit={abilities(me).manageGlobalGoals}
    />
  );
}
