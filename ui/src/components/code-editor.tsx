// The code and diff editors, loaded on first use: Monaco and its workers are the `monaco` chunk,
// which neither the sign-in page nor the pages without an editor load.
import { lazy, Suspense } from "react";
import type { CodeEditorProps, DiffEditorProps } from "./monaco/editors";
import { Skeleton } from "./ui/skeleton";

const editors = () => import("./monaco/editors");
const LazyCode = lazy(() => editors().then((module) => ({ default: module.CodeEditor })));
const LazyDiff = lazy(() => editors().then((module) => ({ default: module.DiffEditor })));

/** The project's `$` typings for every editor on the page (loads Monaco if it is not yet). */
export const setTypings = (text: string) => editors().then((module) => module.setTypings(text));

/** Format Document on the editor showing `path`: its text after, or null (no such editor). */
export const formatDocument = (path: string) => editors().then((module) => module.formatDocument(path));

const fallback = <Skeleton className="h-full w-full rounded-none" />;

export function CodeEditor(props: CodeEditorProps) {
  return (
    <Suspense fallback={fallback}>
      <LazyCode {...props} />
    </Suspense>
  );
}

export function DiffEditor(props: DiffEditorProps) {
  return (
    <Suspense fallback={fallback}>
      <LazyDiff {...props} />
    </Suspense>
  );
}
