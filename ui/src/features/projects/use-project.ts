import { useQuery } from "@tanstack/react-query";
import { useParams } from "@tanstack/react-router";
import { projectQuery } from "./api";

/** The project of the page ($pid in the URL: a slug or an id); the layout has loaded it. */
export function useProjectParam(): string {
  const { pid } = useParams({ strict: false });
  return pid ?? "";
}

export function useProject() {
  const pid = useProjectParam();
  return useQuery(projectQuery(pid));
}
