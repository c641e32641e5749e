import { Link } from "@tanstack/react-router";
import { endSession } from "@/router";
import { ChevronsUpDownIcon, LanguagesIcon, LogOutIcon, PaletteIcon, UserIcon } from "lucide-react";
import { useTranslation } from "react-i18next";
import { Avatar, AvatarFallback, AvatarImage } from "@/components/ui/avatar";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuSeparator,
  DropdownMenuSub,
  DropdownMenuSubContent,
  DropdownMenuSubTrigger,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { useMe, type User } from "@/features/auth/api";
import { currentLanguage, type Language, LANGUAGES, setLanguage } from "@/lib/i18n";
import { setTheme, type Theme, useTheme } from "@/lib/theme";
import { THEMES } from "./theme-switch";

export function initials(user: Pick<User, "name" | "email"> | undefined): string {
  const source = user?.name?.trim() || user?.email || "?";
  return source
    .split(/[\s@.]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]?.toUpperCase())
    .join("");
}

export function UserAvatar({ user, className }: { user: User | undefined; className?: string }) {
  return (
    <Avatar className={className}>
      {user?.avatar && <AvatarImage src={user.avatar} alt="" />}
      <AvatarFallback>{initials(user)}</AvatarFallback>
    </Avatar>
  );
}

export function useSignOut() {
  return () => void endSession();
}

export function UserMenu() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const theme = useTheme();
  const signOut = useSignOut();
  return (
    <DropdownMenu>
      <DropdownMenuTrigger
        className="flex w-full items-center gap-2 rounded-md p-2 text-left text-sm outline-none hover:bg-sidebar-accent focus-visible:ring-2 focus-visible:ring-ring"
      >
        <span className="sr-only">{t("nav.account")}</span>
        <UserAvatar user={me} />
        <span className="grid min-w-0 flex-1 leading-tight">
          <span className="truncate font-medium">{me?.name || me?.email}</span>
          <span className="truncate text-xs text-muted-foreground">{me?.email}</span>
        </span>
        <ChevronsUpDownIcon className="size-4 text-muted-foreground" aria-hidden="true" />
      </DropdownMenuTrigger>
      <DropdownMenuContent side="top" align="start" className="w-56">
        <DropdownMenuLabel className="truncate font-normal text-muted-foreground">{me?.email}</DropdownMenuLabel>
        <DropdownMenuSeparator />
        <DropdownMenuItem asChild>
          <Link to="/profile">
            <UserIcon />
            {t("nav.profile")}
          </Link>
        </DropdownMenuItem>
        <DropdownMenuSub>
          <DropdownMenuSubTrigger>
            <PaletteIcon />
            {t("theme.label")}
          </DropdownMenuSubTrigger>
          <DropdownMenuSubContent>
            <DropdownMenuRadioGroup value={theme} onValueChange={(value) => setTheme(value as Theme)}>
              {THEMES.map((name) => (
                <DropdownMenuRadioItem key={name} value={name}>
                  {t(`theme.${name}`)}
                </DropdownMenuRadioItem>
              ))}
            </DropdownMenuRadioGroup>
          </DropdownMenuSubContent>
        </DropdownMenuSub>
        <DropdownMenuSub>
          <DropdownMenuSubTrigger>
            <LanguagesIcon />
            {t("language.label")}
          </DropdownMenuSubTrigger>
          <DropdownMenuSubContent>
            <DropdownMenuRadioGroup value={currentLanguage()} onValueChange={(value) => setLanguage(value as Language)}>
              {Object.entries(LANGUAGES).map(([code, name]) => (
                <DropdownMenuRadioItem key={code} value={code}>
                  {name}
                </DropdownMenuRadioItem>
              ))}
            </DropdownMenuRadioGroup>
          </DropdownMenuSubContent>
        </DropdownMenuSub>
        <DropdownMenuSeparator />
        <DropdownMenuItem onSelect={signOut}>
          <LogOutIcon />
          {t("auth.signOut")}
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
