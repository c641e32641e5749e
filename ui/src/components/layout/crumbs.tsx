// The breadcrumb from the matched routes' staticData.crumb. Items and separators are siblings in
// the <ol> (a separator inside an item would nest <li> in <li>).
import { useQuery } from "@tanstack/react-query";
import { Link, useMatches } from "@tanstack/react-router";
import { Fragment } from "react";
import { useTranslation } from "react-i18next";
import {
  Breadcrumb,
  BreadcrumbItem,
  BreadcrumbLink,
  BreadcrumbList,
  BreadcrumbPage,
  BreadcrumbSeparator,
} from "@/components/ui/breadcrumb";
import { projectQuery } from "@/features/projects/api";

function ProjectName({ pid }: { pid: string }) {
  const { data } = useQuery(projectQuery(pid));
  return <>{data?.name ?? pid}</>;
}

export function Crumbs() {
  const { t } = useTranslation();
  const matches = useMatches();
  const crumbs = matches.filter((match) => match.staticData.crumb);
  return (
    <Breadcrumb aria-label={t("nav.breadcrumb")}>
      <BreadcrumbList>
        {crumbs.map((match, index) => {
          const crumb = match.staticData.crumb!;
          const params = match.params as { pid?: string; version?: string; model?: string };
          const label = crumb === "project" ? <ProjectName pid={params.pid ?? ""} /> : crumb === "version" ? params.version : crumb === "model" ? params.model : t(crumb);
          const last = index === crumbs.length - 1;
          return (
            <Fragment key={match.id}>
              {index > 0 && <BreadcrumbSeparator />}
              <BreadcrumbItem>
                {last ? (
                  <BreadcrumbPage>{label}</BreadcrumbPage>
                ) : (
                  <BreadcrumbLink asChild>
                    <Link to={match.pathname} activeOptions={{ exact: true }}>
                      {label}
                    </Link>
                  </BreadcrumbLink>
                )}
              </BreadcrumbItem>
            </Fragment>
          );
        })}
      </BreadcrumbList>
    </Breadcrumb>
  );
}
