import { useTranslation } from "react-i18next";
import { Toaster as Sonner } from "sonner";
import { useTheme } from "@/lib/theme";

// Bottom left, the whole app (as Gmail's or Linear's): clear of the sheets at the right edge (their
// Save and Cancel at the bottom right, the close button at the top right) and of the dialogs'
// right-aligned footers, on any screen from 600 px wide; narrower, sonner spans the screen's width.
export function Toaster() {
  const theme = useTheme();
  const { t } = useTranslation();
  return (
    <Sonner
      theme={theme}
      position="bottom-left"
      closeButton
      containerAriaLabel={t("common.notifications")}
      toastOptions={{ closeButtonAriaLabel: t("common.closeToast") }}
      style={
        {
          "--normal-bg": "var(--popover)",
          "--normal-text": "var(--popover-foreground)",
          "--normal-border": "var(--border)",
        } as React.CSSProperties
      }
    />
  );
}
