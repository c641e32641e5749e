// Each route names its breadcrumb in staticData: an i18n key, or "project" for the project's name.
import type { ParseKeys } from "i18next";

export type Crumb = ParseKeys | "project";

declare module "@tanstack/react-router" {
  interface StaticDataRouteOption {
    crumb?: Crumb;
  }
}
