// Ctrl+K / Cmd+K: jump to any section or project page, switch theme or language, sign out.
import { useQuery } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { LanguagesIcon, LogOutIcon, MonitorIcon } from "lucide-react";
import { useEffect } from "react";
import { useTranslation } from "react-i18next";
import { ColorDot } from "@/components/color-dot";
import {
  CommandDialog,
  CommandEmpty,
  CommandGroup,
  CommandInput,
  CommandItem,
  CommandList,
} from "@/components/ui/command";
import { abilities, useMe } from "@/features/auth/api";
import { projectsQuery } from "@/features/projects/api";
import { type Language, LANGUAGES, setLanguage } from "@/lib/i18n";
import { setTheme } from "@/lib/theme";
import { PROJECT_SECTIONS, SECTIONS } from "./nav";
import { THEME_ICONS, THEMES } from "./theme-switch";
import { useSignOut } from "./user-menu";

export function CommandPalette({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { data: me } = useMe();
  const can = abilities(me);
  const projects = useQuery(projectsQuery);
  const signOut = useSignOut();

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key.toLowerCase() === "k" && (event.metaKey || event.ctrlKey)) {
        event.preventDefault();
        onOpenChange(!open);
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [open, onOpenChange]);

  const run = (action: () => void) => {
    onOpenChange(false);
    action();
  };

  return (
    <CommandDialog open={open} onOpenChange={onOpenChange} title={t("palette.title")} description={t("palette.description")}>
      <CommandInput placeholder={t("palette.placeholder")} />
      <CommandList>
        <CommandEmpty>{t("palette.empty")}</CommandEmpty>
        <CommandGroup heading={t("palette.pages")}>
          {SECTIONS.filter((section) => section.visible(can)).map((section) => (
            <CommandItem key={section.to} value={t(section.label)} onSelect={() => run(() => void navigate({ to: section.to }))}>
              <section.icon />
              {t(section.label)}
            </CommandItem>
          ))}
        </CommandGroup>
        {(projects.data ?? []).length > 0 && (
          <CommandGroup heading={t("nav.yourProjects")}>
            {(projects.data ?? []).flatMap((project) =>
              PROJECT_SECTIONS.map((section, index) => (
                <CommandItem
                  key={`${project.id}${section.to}`}
                  value={`${project.name} ${project.slug} ${index === 0 ? "" : t(section.label)}`}
                  onSelect={() => run(() => void navigate({ to: section.to, params: { pid: project.slug } }))}
                >
                  {index === 0 ? <ColorDot color={project.color} className="mx-[3px]" /> : <section.icon />}
                  <span>{project.name}</span>
                  {index > 0 && <span className="text-muted-foreground">· {t(section.label)}</span>}
                </CommandItem>
              )),
            )}
          </CommandGroup>
        )}
        <CommandGroup heading={t("palette.actions")}>
          {THEMES.map((name) => {
            const Icon = THEME_ICONS[name] ?? MonitorIcon;
            return (
              <CommandItem key={name} value={`${t("theme.label")} ${t(`theme.${name}`)}`} onSelect={() => run(() => setTheme(name))}>
                <Icon />
                {t("theme.label")}: {t(`theme.${name}`)}
              </CommandItem>
            );
          })}
          {Object.entries(LANGUAGES).map(([code, name]) => (
            <CommandItem key={code} value={`${t("language.label")} ${name}`} onSelect={() => run(() => setLanguage(code as Language))}>
              <LanguagesIcon />
              {t("language.label")}: {name}
            </CommandItem>
          ))}
          <CommandItem value={t("auth.signOut")} onSelect={() => run(signOut)}>
            <LogOutIcon />
            {t("auth.signOut")}
          </CommandItem>
        </CommandGroup>
      </CommandList>
    </CommandDialog>
  );
}
