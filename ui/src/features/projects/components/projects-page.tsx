import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { FolderPlusIcon, LayoutGridIcon, ListIcon, PlusIcon, SearchIcon } from "lucide-react";
import { ToggleGroup } from "radix-ui";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ColorDot } from "@/components/color-dot";
import { EmptyState } from "@/components/empty-state";
import { ErrorState } from "@/components/error-state";
import { PageHeader } from "@/components/page-header";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { abilities, useMe } from "@/features/auth/api";
import { COLORS, type Project, projectsQuery } from "../api";
import { CreateProjectDialog } from "./create-project-dialog";
import { RuntimeBadge } from "./runtime-badge";

type View = "grid" | "list";
const VIEW_KEY = "m3m.projects.view";

function ProjectCard({ project }: { project: Project }) {
  return (
    <Link
      to="/projects/$pid"
      params={{ pid: project.slug }}
      className="group relative flex flex-col gap-3 overflow-hidden rounded-xl border bg-card p-4 pl-5 shadow-xs transition-colors outline-none hover:border-foreground/20 hover:bg-accent/40 focus-visible:ring-[3px] focus-visible:ring-ring/50"
      data-testid="project-card"
    >
      <span
        aria-hidden="true"
        className="absolute inset-y-0 left-0 w-1"
        style={{ backgroundColor: project.color ? COLORS[project.color] : "var(--border)" }}
      />
      <div className="min-w-0">
        <h2 className="truncate font-medium">{project.name}</h2>
        <p className="truncate font-mono text-xs text-muted-foreground">{project.slug}</p>
      </div>
      <RuntimeBadge pid={project.id} />
    </Link>
  );
}

function ProjectRow({ project }: { project: Project }) {
  return (
    <li>
      <Link
        to="/projects/$pid"
        params={{ pid: project.slug }}
        className="flex items-center gap-3 px-4 py-3 outline-none hover:bg-accent/50 focus-visible:bg-accent"
        data-testid="project-card"
      >
        <ColorDot color={project.color} />
        <span className="min-w-0 flex-1 truncate font-medium">{project.name}</span>
        <span className="hidden truncate font-mono text-xs text-muted-foreground sm:block">{project.slug}</span>
        <RuntimeBadge pid={project.id} className="w-24 justify-end" />
      </Link>
    </li>
  );
}

export function ProjectsPage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const can = abilities(me);
  const projects = useQuery(projectsQuery);
  const [creating, setCreating] = useState(false);
  const [search, setSearch] = useState("");
  const [view, setView] = useState<View>(() => (localStorage.getItem(VIEW_KEY) === "list" ? "list" : "grid"));

  const needle = search.trim().toLowerCase();
  const shown = (projects.data ?? []).filter(
    (project) => !needle || project.name.toLowerCase().includes(needle) || project.slug.includes(needle),
  );
  const newButton = can.createProjects && (
    <Button onClick={() => setCreating(true)}>
      <PlusIcon />
      {t("projects.new")}
    </Button>
  );

  return (
    <div className="mx-auto grid max-w-6xl gap-6">
      <PageHeader title={t("projects.title")} description={t("projects.description")} actions={newButton} />
      {projects.isError ? (
        <ErrorState error={projects.error} retry={() => void projects.refetch()} />
      ) : projects.isPending ? (
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" aria-busy="true">
          {[0, 1, 2].map((index) => (
            <Skeleton key={index} className="h-28 rounded-xl" />
          ))}
        </div>
      ) : projects.data.length === 0 ? (
        <EmptyState
          icon={FolderPlusIcon}
          title={t("projects.emptyTitle")}
          description={can.createProjects ? t("projects.emptyCreate") : t("projects.emptyAsk")}
          action={newButton}
        />
      ) : (
        <>
          <div className="flex items-center gap-2">
            <div className="relative max-w-xs flex-1">
              <SearchIcon className="pointer-events-none absolute top-2.5 left-2.5 size-4 text-muted-foreground" aria-hidden="true" />
              <Input
                value={search}
                onChange={(event) => setSearch(event.target.value)}
                placeholder={t("projects.search")}
                aria-label={t("projects.search")}
                className="pl-8"
                type="search"
              />
            </div>
            <ToggleGroup.Root
              type="single"
              value={view}
              onValueChange={(next) => {
                if (!next) return;
                setView(next as View);
                localStorage.setItem(VIEW_KEY, next);
              }}
              aria-label={t("projects.view")}
              className="ml-auto flex rounded-md border p-0.5"
            >
              {(["grid", "list"] as const).map((name) => (
                <ToggleGroup.Item
                  key={name}
                  value={name}
                  aria-label={t(`projects.${name}`)}
                  title={t(`projects.${name}`)}
                  className="rounded-sm p-1.5 text-muted-foreground outline-none hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring data-[state=on]:bg-accent data-[state=on]:text-foreground"
                >
                  {name === "grid" ? <LayoutGridIcon className="size-4" /> : <ListIcon className="size-4" />}
                </ToggleGroup.Item>
              ))}
            </ToggleGroup.Root>
          </div>
          {shown.length === 0 ? (
            <p className="py-10 text-center text-sm text-muted-foreground">{t("projects.noMatch", { search })}</p>
          ) : view === "grid" ? (
            <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
              {shown.map((project) => (
                <ProjectCard key={project.id} project={project} />
              ))}
            </div>
          ) : (
            <ul className="divide-y rounded-xl border bg-card">
              {shown.map((project) => (
                <ProjectRow key={project.id} project={project} />
              ))}
            </ul>
          )}
        </>
      )}
      <CreateProjectDialog open={creating} onOpenChange={setCreating} />
    </div>
  );
}
