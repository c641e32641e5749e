// Where in the project's storage the page is: the root, then each folder, each a link back.
import { Link } from "@tanstack/react-router";
import { HardDriveIcon } from "lucide-react";
import { Fragment } from "react";
import { useTranslation } from "react-i18next";
import {
  Breadcrumb,
  BreadcrumbItem,
  BreadcrumbLink,
  BreadcrumbList,
  BreadcrumbPage,
  BreadcrumbSeparator,
} from "@/components/ui/breadcrumb";

export function PathCrumbs({ pid, path }: { pid: string; path: string }) {
  const { t } = useTranslation();
  const names = path ? path.split("/") : [];
  const root = (
    <span className="inline-flex items-center gap-1.5">
      <HardDriveIcon className="size-4" aria-hidden="true" />
      {t("storage.root")}
    </span>
  );
  return (
    <Breadcrumb aria-label={t("storage.folderPath")}>
      <BreadcrumbList>
        <BreadcrumbItem>
          {names.length ? (
            <BreadcrumbLink asChild>
              <Link to="/projects/$pid/storage" params={{ pid }} search={{}}>
                {root}
              </Link>
            </BreadcrumbLink>
          ) : (
            <BreadcrumbPage>{root}</BreadcrumbPage>
          )}
        </BreadcrumbItem>
        {names.map((name, index) => {
          const here = names.slice(0, index + 1).join("/");
          const last = index === names.length - 1;
          return (
            <Fragment key={here}>
              <BreadcrumbSeparator />
              <BreadcrumbItem>
                {last ? (
                  <BreadcrumbPage>{name}</BreadcrumbPage>
                ) : (
                  <BreadcrumbLink asChild>
                    <Link to="/projects/$pid/storage" params={{ pid }} search={{ path: here }}>
                      {name}
                    </Link>
                  </BreadcrumbLink>
                )}
              </BreadcrumbItem>
            </Fragment>
          );
        })}
      </BreadcrumbList>
    </Breadcrumb>
  );
}
