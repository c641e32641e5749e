// Each route names its breadcrumb in staticData: an i18n key, "project" for the project's name, "version" for the release's.
import type { ParseKeys } from "i18next";

export type Crumb = ParseKeys | "project" | "version"; // "version": the release in the URL

declare module "@tanstack/react-router" {
  interface StaticDataRouteOption {
    crumb?: Crumb;
  }
}
