import { useTranslation } from "react-i18next";
import { PageHeader } from "@/components/page-header";
import { useProject } from "../use-project";
import { ApiKeyCard } from "./api-key-card";
import { DangerZone } from "./danger-zone";
import { GeneralCard } from "./general-card";
import { MembersCard } from "./members-card";

export function ProjectSettings() {
  const { t } = useTranslation();
  const project = useProject().data!;
  return (
    <div className="mx-auto grid max-w-3xl gap-6">
      <PageHeader title={t("settings.title")} description={t("settings.description", { name: project.name })} />
      <GeneralCard project={project} />
      <MembersCard project={project} />
      <ApiKeyCard project={project} />
      <DangerZone project={project} />
    </div>
  );
}
