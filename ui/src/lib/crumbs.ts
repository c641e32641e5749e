// Each route names its breadcrumb in staticData: an i18n key, "project" for the project's name, "version" for the release's, "model" for the data model's.
import type { ParseKeys } from "i18next";

export type Crumb = ParseKeys | "project" | "version" | "model"; // "version": the release in the URL; "model": the model's slug

declare module "@tanstack/react-router" {
  interface StaticDataRouteOption {
    crumb?: Crumb;
  }
}
