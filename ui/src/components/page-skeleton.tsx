import { Skeleton } from "./ui/skeleton";

/** What a page shows while its code or data loads. */
export function PageSkeleton() {
  return (
    <div className="space-y-6 p-4 md:p-6" aria-busy="true">
      <Skeleton className="h-8 w-48" />
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        <Skeleton className="h-28" />
        <Skeleton className="h-28" />
        <Skeleton className="h-28" />
      </div>
    </div>
  );
}
