import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import { useTranslation } from "react-i18next";
import { ColorDot } from "@/components/color-dot";
import { Skeleton } from "@/components/ui/skeleton";
import { abilities, useMe } from "@/features/auth/api";
import { projectsQuery } from "@/features/projects/api";
import { cn } from "@/lib/utils";
import { Logo } from "./logo";
import { PROJECT_SECTIONS, SECTIONS } from "./nav";
import { UserMenu } from "./user-menu";

const linkClass =
  "flex h-8 items-center gap-2 rounded-md px-2 text-sm text-sidebar-foreground/80 outline-none hover:bg-sidebar-accent hover:text-sidebar-accent-foreground focus-visible:ring-2 focus-visible:ring-ring [&_svg]:size-4 [&_svg]:shrink-0";
const activeClass = "bg-sidebar-accent font-medium text-sidebar-accent-foreground";

export function AppSidebar({ onNavigate }: { onNavigate?: () => void }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const can = abilities(me);
  const projects = useQuery(projectsQuery);
  const { pid } = useParams({ strict: false });

  return (
    <div className="flex h-full flex-col gap-4 bg-sidebar p-3 text-sidebar-foreground">
      <Link to="/projects" className="px-2 pt-1" onClick={onNavigate}>
        <Logo />
      </Link>
      <nav aria-label={t("nav.main")} className="flex min-h-0 flex-1 flex-col gap-4 overflow-y-auto">
        <ul className="grid gap-0.5">
          {SECTIONS.filter((section) => section.visible(can)).map((section) => (
            <li key={section.to}>
              <Link to={section.to} className={linkClass} activeProps={{ className: activeClass }} onClick={onNavigate}>
                <section.icon aria-hidden="true" />
                {t(section.label)}
              </Link>
            </li>
          ))}
        </ul>
        <div className="grid gap-1">
          <h2 className="px-2 text-xs font-medium text-muted-foreground">{t("nav.yourProjects")}</h2>
          {projects.isPending ? (
            <div className="grid gap-1 px-2">
              <Skeleton className="h-6" />
              <Skeleton className="h-6" />
            </div>
          ) : (
            <ul className="grid gap-0.5">
              {(projects.data ?? []).map((project) => {
                const open = pid === project.slug || pid === project.id;
                return (
                  <li key={project.id}>
                    <Link
                      to="/projects/$pid"
                      params={{ pid: project.slug }}
                      className={cn(linkClass, open && "font-medium text-sidebar-accent-foreground")}
                      activeOptions={{ exact: true }}
                      activeProps={{ className: activeClass }}
                      onClick={onNavigate}
                    >
                      <ColorDot color={project.color} />
                      <span className="truncate">{project.name}</span>
                    </Link>
                    {open && (
                      <ul className="mt-0.5 ml-3.5 grid gap-0.5 border-l pl-2">
                        {PROJECT_SECTIONS.slice(1).map((section) => (
                          <li key={section.to}>
                            <Link
                              to={section.to}
                              params={{ pid: project.slug }}
                              className={linkClass}
                              activeProps={{ className: activeClass }}
                              onClick={onNavigate}
                            >
                              <section.icon aria-hidden="true" />
                              {t(section.label)}
                            </Link>
                          </li>
                        ))}
                      </ul>
                    )}
                  </li>
                );
              })}
              {projects.data?.length === 0 && <li className="px-2 text-xs text-muted-foreground">{t("projects.none")}</li>}
            </ul>
          )}
        </div>
      </nav>
      <UserMenu />
    </div>
  );
}
