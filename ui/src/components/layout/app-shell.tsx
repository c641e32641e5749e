import { Outlet, useRouterState } from "@tanstack/react-router";
import { MenuIcon, SearchIcon } from "lucide-react";
import { Dialog as SheetPrimitive } from "radix-ui";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { AppSidebar } from "./app-sidebar";
import { CommandPalette } from "./command-palette";
import { Crumbs } from "./crumbs";
import { LanguageSwitch } from "./language-switch";
import { ThemeSwitch } from "./theme-switch";

/** The signed-in frame: the sidebar (a sheet on small screens), the header and the page. */
export function AppShell() {
  const { t } = useTranslation();
  const [paletteOpen, setPaletteOpen] = useState(false);
  const [sheetOpen, setSheetOpen] = useState(false);
  const pathname = useRouterState({ select: (state) => state.location.pathname });
  useEffect(() => setSheetOpen(false), [pathname]);

  return (
    <div className="flex min-h-svh">
      <aside className="hidden w-64 shrink-0 border-r border-sidebar-border bg-sidebar md:block">
        <div className="sticky top-0 h-svh">
          <AppSidebar />
        </div>
      </aside>
      <SheetPrimitive.Root open={sheetOpen} onOpenChange={setSheetOpen}>
        <SheetPrimitive.Portal>
          <SheetPrimitive.Overlay className="fixed inset-0 z-50 bg-black/50 md:hidden" />
          <SheetPrimitive.Content className="fixed inset-y-0 left-0 z-50 w-72 border-r shadow-lg md:hidden">
            <SheetPrimitive.Title className="sr-only">{t("nav.main")}</SheetPrimitive.Title>
            <SheetPrimitive.Description className="sr-only">{t("nav.mainDescription")}</SheetPrimitive.Description>
            <AppSidebar onNavigate={() => setSheetOpen(false)} />
          </SheetPrimitive.Content>
        </SheetPrimitive.Portal>
      </SheetPrimitive.Root>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="sticky top-0 z-30 flex h-14 items-center gap-2 border-b bg-background/90 px-4 backdrop-blur">
          <Button variant="ghost" size="icon-sm" className="md:hidden" aria-label={t("nav.openMenu")} onClick={() => setSheetOpen(true)}>
            <MenuIcon />
          </Button>
          <Crumbs />
          <div className="ml-auto flex items-center gap-1">
            <Button
              variant="outline"
              size="sm"
              className="w-9 justify-start text-muted-foreground sm:w-56"
              onClick={() => setPaletteOpen(true)}
              aria-keyshortcuts="Control+K"
              title={t("palette.open")}
            >
              <SearchIcon />
              <span className="sr-only sm:not-sr-only">{t("palette.search")}</span>
              <kbd className="ml-auto hidden rounded border bg-muted px-1.5 font-mono text-[10px] sm:inline">Ctrl K</kbd>
            </Button>
            <ThemeSwitch />
            <LanguageSwitch />
          </div>
        </header>
        <main className="flex-1 p-4 md:p-6" id="main">
          <Outlet />
        </main>
      </div>
      <CommandPalette open={paletteOpen} onOpenChange={setPaletteOpen} />
    </div>
  );
}
