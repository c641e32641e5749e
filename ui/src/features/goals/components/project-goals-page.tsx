import { useTranslation } from "react-i18next";
import { useProject } from "@/features/projects/use-project";
import { GoalsView } from "./goals-view";

export function ProjectGoalsPage() {
  const { t } = useTranslation();
  const project = useProject().data!;
  return (
    <GoalsView
      scope={{ kind: "project", pid: project.id }}
      title={t("goals.projectTitle")}
      description={t("goals.projectPageDescription", { name: project.name })}
      canEdit
    />
  );
}
