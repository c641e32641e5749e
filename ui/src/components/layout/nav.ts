// The app's sections in one list, shared by the sidebar and the command palette.
import type { ParseKeys } from "i18next";
import { ActivityIcon, CodeIcon, DatabaseIcon, FolderKanbanIcon, HardDriveIcon, HistoryIcon, KeyRoundIcon, LayoutDashboardIcon, PackageIcon, ScrollTextIcon, SettingsIcon, TargetIcon, UserIcon, UsersIcon, type LucideIcon } from "lucide-react";
import type { abilities } from "@/features/auth/api";

export interface Section {
  to: "/projects" | "/goals" | "/admins" | "/audit" | "/profile";
  label: ParseKeys;
  icon: LucideIcon;
  visible: (can: ReturnType<typeof abilities>) => boolean;
}

export const SECTIONS: Section[] = [
  { to: "/projects", label: "nav.projects", icon: FolderKanbanIcon, visible: () => true },
  { to: "/goals", label: "nav.goals", icon: TargetIcon, visible: () => true },
  { to: "/admins", label: "nav.admins", icon: UsersIcon, visible: (can) => can.manageUsers },
  { to: "/audit", label: "audit.nav", icon: HistoryIcon, visible: (can) => can.manageUsers },
  { to: "/profile", label: "nav.profile", icon: UserIcon, visible: () => true },
];

export interface ProjectSection {
  to: "/projects/$pid" | "/projects/$pid/code" | "/projects/$pid/releases" | "/projects/$pid/runtime" | "/projects/$pid/logs" | "/projects/$pid/goals" | "/projects/$pid/env" | "/projects/$pid/storage" | "/projects/$pid/data" | "/projects/$pid/audit" | "/projects/$pid/settings";
  label: ParseKeys;
  icon: LucideIcon;
}

export const PROJECT_SECTIONS: ProjectSection[] = [
  { to: "/projects/$pid", label: "nav.overview", icon: LayoutDashboardIcon },
  { to: "/projects/$pid/code", label: "nav.code", icon: CodeIcon },
  { to: "/projects/$pid/releases", label: "nav.releases", icon: PackageIcon },
  { to: "/projects/$pid/runtime", label: "nav.runtime", icon: ActivityIcon },
  { to: "/projects/$pid/logs", label: "nav.logs", icon: ScrollTextIcon },
  { to: "/projects/$pid/goals", label: "nav.goals", icon: TargetIcon },
  { to: "/projects/$pid/env", label: "nav.env", icon: KeyRoundIcon },
  { to: "/projects/$pid/data", label: "nav.data", icon: DatabaseIcon },
  { to: "/projects/$pid/storage", label: "nav.storage", icon: HardDriveIcon },
  { to: "/projects/$pid/audit", label: "audit.nav", icon: HistoryIcon },
  { to: "/projects/$pid/settings", label: "nav.settings", icon: SettingsIcon },
];
