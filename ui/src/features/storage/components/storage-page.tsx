// The project's file manager: a folder's listing (folders first, sorted, paged, searched) with
// uploads by button or drop, folders, text files, moves, copies, deletes and direct links.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import type { RowSelectionState } from "@tanstack/react-table";
import {
  FilePlusIcon,
  FolderInputIcon,
  FolderPlusIcon,
  FolderOpenIcon,
  KeyRoundIcon,
  LayoutGridIcon,
  ListIcon,
  MoreVerticalIcon,
  SearchIcon,
  Trash2Icon,
  UploadIcon,
} from "lucide-react";
import { useCallback, useEffect, useRef, useState } from "react";
import type * as React from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { ErrorState } from "@/components/error-state";
import { PageHeader } from "@/components/page-header";
import { Button } from "@/components/ui/button";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { useProject } from "@/features/projects/use-project";
import { toastError } from "@/lib/form";
import {
  copyEntry,
  deleteEntry,
  type Entry,
  hasThumb,
  isText,
  join,
  listQuery,
  makeFolder,
  makeLink,
  moveEntry,
  parentOf,
  rotateLinkKey,
  saveText,
  type Sort,
  storageKeys,
  usageQuery,
} from "../api";
import type { EntryAction } from "./entry-menu";
import { FileGrid, FileTable } from "./file-list";
import { formatBytes } from "@/lib/bytes";
import { LinkDialog } from "./link-dialog";
import { type NameAsk, NameDialog } from "./name-dialog";
import { PathCrumbs } from "./path-crumbs";
import { PreviewDialog } from "./preview-dialog";
import { TextEditorDialog } from "./text-editor-dialog";
import { UploadPanel, useUploads } from "./uploads";

const route = getRouteApi("/app/projects/$pid/storage");
const PER_PAGE = 50;
const SORT_CHOICES: Sort[] = ["name", "-name", "size", "-size", "modified", "-modified"];

export function StoragePage() {
  const { t } = useTranslation();
  const project = useProject().data!;
  const pid = project.id;
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const queryClient = useQueryClient();
  const folder = search.path ?? "";
  const page = search.page ?? 1;
  const sort = search.sort ?? "name";
  const view = search.view ?? "list";
  const params = { path: folder, page, perPage: PER_PAGE, sort, search: search.search ?? "" };
  const listing = useQuery(listQuery(pid, params));
  const usage = useQuery(usageQuery(pid));
  const { uploads, add, cancel, clear } = useUploads(pid);

  const [selection, setSelection] = useState<RowSelectionState>({});
  const [ask, setAsk] = useState<NameAsk | null>(null);
  const [deleting, setDeleting] = useState<Entry[] | null>(null);
  const [linking, setLinking] = useState<Entry | null>(null);
  const [previewing, setPreviewing] = useState<Entry | null>(null);
  const [editing, setEditing] = useState<Entry | null>(null);
  const [rotating, setRotating] = useState(false);
  const [typed, setTyped] = useState(search.search ?? "");
  const picker = useRef<HTMLInputElement>(null);

  type Search = typeof search;
  const go = useCallback(
    (change: Partial<Search>, replace = false) => void navigate({ search: (previous: Search) => ({ ...previous, ...change }), replace }),
    [navigate],
  );
  useEffect(() => setSelection({}), [folder, page, sort, search.search]);
  // The search box asks the server a moment after typing stops.
  useEffect(() => {
    const next = typed.trim() || undefined;
    if (next === search.search) return;
    const timer = setTimeout(() => go({ search: next, page: undefined }, true), 250);
    return () => clearTimeout(timer);
  }, [typed, search.search, go]);

  const refresh = () => queryClient.invalidateQueries({ queryKey: storageKeys.all(pid) });
  const done = async (message: string) => {
    await refresh();
    toast.success(message);
  };

  const remove = useMutation({
    mutationFn: async (entries: Entry[]) => {
      for (const entry of entries) await deleteEntry(pid, entry.path);
    },
    onSuccess: async (_, entries) => {
      setSelection({});
      // The deleted leave the cached listing before it is fetched again (no request for what is gone).
      queryClient.removeQueries({ queryKey: ["storage", pid, "text"] });
      await done(entries.length === 1 ? t("storage.deleted", { name: entries[0]!.name }) : t("storage.deletedMany", { count: entries.length }));
    },
    onError: async (error) => {
      toastError(error);
      await refresh();
    },
  });
  const rotate = useMutation({
    mutationFn: () => rotateLinkKey(pid),
    onSuccess: () => toast.success(t("storage.rotated")),
    onError: toastError,
  });

  const download = useCallback(
    async (entry: Entry) => {
      // A short-lived direct link: the browser streams the file itself, nothing is held in memory.
      try {
        const link = await makeLink(pid, entry.path, 300);
        const anchor = document.createElement("a");
        anchor.href = `${link.url}?download=1`;
        anchor.download = entry.name;
        anchor.rel = "noopener";
        document.body.appendChild(anchor);
        anchor.click();
        anchor.remove();
      } catch (error) {
        toastError(error);
      }
    },
    [pid],
  );

  const askName = (kind: "folder" | "file") =>
    setAsk({
      kind: "name",
      title: t(kind === "folder" ? "storage.newFolder" : "storage.newFile"),
      description: t(kind === "folder" ? "storage.newFolderText" : "storage.newFileText", { folder: folder || "/" }),
      label: t("storage.name"),
      submit: t("storage.create"),
      initial: kind === "folder" ? "" : "notes.txt",
      onSubmit: async (name) => {
        const path = join(folder, name);
        if (kind === "folder") {
          await makeFolder(pid, path);
          await done(t("storage.createdFolder", { name }));
        } else {
          const entry = await saveText(pid, path, "");
          await done(t("storage.createdFile", { name }));
          setEditing(entry);
        }
      },
    });

  const onAction = useCallback(
    (action: EntryAction, entry: Entry) => {
      const from = entry.path;
      if (action === "edit") setEditing(entry);
      else if (action === "preview") setPreviewing(entry);
      else if (action === "download") void download(entry);
      else if (action === "link") setLinking(entry);
      else if (action === "delete") setDeleting([entry]);
      else if (action === "rename")
        setAsk({
          kind: "name",
          title: t("storage.renameTitle", { name: entry.name }),
          description: t("storage.renameText"),
          label: t("storage.newName"),
          submit: t("storage.rename"),
          initial: entry.name,
          onSubmit: async (name) => {
            await moveEntry(pid, from, join(parentOf(from), name));
            await done(t("storage.renamed", { name }));
          },
        });
      else if (action === "move")
        setAsk({
          kind: "target",
          title: t("storage.moveTitle", { name: entry.name }),
          description: t("storage.moveText"),
          label: t("storage.targetFolder"),
          submit: t("storage.move"),
          initial: parentOf(from),
          onSubmit: async (target) => {
            await moveEntry(pid, from, join(target, entry.name));
            await done(t("storage.moved", { name: entry.name, folder: target || "/" }));
          },
        });
      else if (action === "copy")
        setAsk({
          kind: "target",
          title: t("storage.copyTitle", { name: entry.name }),
          description: t("storage.copyText"),
          label: t("storage.targetPath"),
          submit: t("storage.copy"),
          initial: copyName(from, entry.type),
          onSubmit: async (target) => {
            await copyEntry(pid, from, target);
            await done(t("storage.copied", { name: entry.name, target }));
          },
        });
    },
    [pid, t, download],
  );

  const open = useCallback(
    (entry: Entry) => {
      if (entry.type === "dir") go({ path: entry.path, page: undefined, search: undefined });
      else if (isText(entry)) setEditing(entry);
      else if (hasThumb(entry)) setPreviewing(entry);
      else void download(entry);
    },
    [go, download],
  );
  useEffect(() => setTyped(search.search ?? ""), [folder]); // eslint-disable-line react-hooks/exhaustive-deps

  const selected = (listing.data?.entries ?? []).filter((entry) => selection[entry.path]);
  const moveSelected = () =>
    setAsk({
      kind: "target",
      title: t("storage.moveMany", { count: selected.length }),
      description: t("storage.moveText"),
      label: t("storage.targetFolder"),
      submit: t("storage.move"),
      initial: folder,
      onSubmit: async (target) => {
        for (const entry of selected) await moveEntry(pid, entry.path, join(target, entry.name));
        setSelection({});
        await done(t("storage.movedMany", { count: selected.length, folder: target || "/" }));
      },
    });

  // Files dropped anywhere on the page go into the folder shown.
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);
  const dropProps = {
    onDragEnter: (event: React.DragEvent) => {
      if (!event.dataTransfer.types.includes("Files")) return;
      event.preventDefault();
      depth.current += 1;
      setDragging(true);
    },
    onDragOver: (event: React.DragEvent) => {
      if (event.dataTransfer.types.includes("Files")) event.preventDefault();
    },
    onDragLeave: () => {
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setDragging(false);
    },
    onDrop: (event: React.DragEvent) => {
      event.preventDefault();
      depth.current = 0;
      setDragging(false);
      const files = [...event.dataTransfer.files];
      if (files.length) add(files, folder);
    },
  };

  const uploadButton = (
    <Button onClick={() => picker.current?.click()}>
      <UploadIcon />
      {t("storage.upload")}
    </Button>
  );
  const data = listing.data;

  return (
    <div className="relative mx-auto grid max-w-6xl gap-4" data-testid="storage-drop" {...dropProps}>
      <PageHeader
        title={t("storage.title")}
        description={
          usage.data
            ? t("storage.usage", { used: formatBytes(usage.data.bytes), limit: formatBytes(usage.data.limit), count: usage.data.files })
            : t("storage.description")
        }
        actions={
          <>
            <Button variant="outline" onClick={() => askName("folder")}>
              <FolderPlusIcon />
              {t("storage.newFolder")}
            </Button>
            <Button variant="outline" onClick={() => askName("file")}>
              <FilePlusIcon />
              {t("storage.newFile")}
            </Button>
            {uploadButton}
            <DropdownMenu>
              <DropdownMenuTrigger asChild>
                <Button variant="ghost" size="icon" aria-label={t("storage.more")}>
                  <MoreVerticalIcon />
                </Button>
              </DropdownMenuTrigger>
              <DropdownMenuContent align="end">
                <DropdownMenuItem onSelect={() => setRotating(true)}>
                  <KeyRoundIcon />
                  {t("storage.rotate")}
                </DropdownMenuItem>
              </DropdownMenuContent>
            </DropdownMenu>
          </>
        }
      />
      <input
        ref={picker}
        type="file"
        multiple
        hidden
        aria-label={t("storage.chooseFiles")}
        data-testid="upload-input"
        onChange={(event) => {
          const files = [...(event.target.files ?? [])];
          if (files.length) add(files, folder);
          event.target.value = "";
        }}
      />
      <div className="flex flex-wrap items-center justify-between gap-3">
        <PathCrumbs pid={project.slug} path={folder} />
        <div className="flex flex-wrap items-center gap-2">
          <div className="relative">
            <SearchIcon className="pointer-events-none absolute top-2.5 left-2.5 size-4 text-muted-foreground" aria-hidden="true" />
            <Input className="w-56 pl-8" type="search" placeholder={t("storage.search")} aria-label={t("storage.search")} value={typed} onChange={(event) => setTyped(event.target.value)} />
          </div>
          <Select value={sort} onValueChange={(next) => go({ sort: next as Sort, page: undefined })}>
            <SelectTrigger className="w-48" aria-label={t("storage.sortBy")}>
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {SORT_CHOICES.map((choice) => (
                <SelectItem key={choice} value={choice}>
                  {t(`storage.sorts.${choice.startsWith("-") ? `${choice.slice(1)}Desc` : choice}` as "storage.sorts.name")}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
          <div className="flex rounded-md border" role="group" aria-label={t("storage.view")}>
            <Button variant={view === "list" ? "secondary" : "ghost"} size="icon-sm" aria-label={t("storage.listView")} aria-pressed={view === "list"} onClick={() => go({ view: undefined }, true)}>
              <ListIcon />
            </Button>
            <Button variant={view === "grid" ? "secondary" : "ghost"} size="icon-sm" aria-label={t("storage.gridView")} aria-pressed={view === "grid"} onClick={() => go({ view: "grid" }, true)}>
              <LayoutGridIcon />
            </Button>
          </div>
        </div>
      </div>

      {selected.length > 0 && (
        <div className="flex flex-wrap items-center gap-2 rounded-lg border bg-muted/50 px-3 py-2 text-sm" data-testid="selection-bar">
          <span className="mr-auto">{t("storage.selected", { count: selected.length })}</span>
          <Button variant="outline" size="sm" onClick={moveSelected}>
            <FolderInputIcon />
            {t("storage.move")}
          </Button>
          <Button variant="destructive" size="sm" onClick={() => setDeleting(selected)}>
            <Trash2Icon />
            {t("common.delete")}
          </Button>
        </div>
      )}

      <UploadPanel uploads={uploads} cancel={cancel} clear={clear} />

      {listing.isError ? (
        <ErrorState error={listing.error} retry={() => void listing.refetch()} />
      ) : !data ? (
        <Skeleton className="h-64 rounded-xl" />
      ) : data.entries.length === 0 ? (
        search.search ? (
          <EmptyState icon={SearchIcon} title={t("storage.noMatch", { search: search.search })} description={t("storage.noMatchText")} />
        ) : (
          <EmptyState icon={FolderOpenIcon} title={t("storage.emptyTitle")} description={t("storage.emptyText")} action={uploadButton} />
        )
      ) : view === "grid" ? (
        <FileGrid pid={pid} entries={data.entries} selection={selection} onSelection={setSelection} onOpen={open} onAction={onAction} />
      ) : (
        <FileTable pid={pid} entries={data.entries} sort={sort} onSort={(next) => go({ sort: next, page: undefined })} selection={selection} onSelection={setSelection} onOpen={open} onAction={onAction} />
      )}

      {data && data.totalPages > 1 && (
        <nav className="flex items-center justify-end gap-2 text-sm" aria-label={t("storage.pages")}>
          <span className="mr-auto text-muted-foreground">{t("storage.count", { count: data.totalItems })}</span>
          <Button variant="outline" size="sm" disabled={page <= 1} onClick={() => go({ page: page - 1 > 1 ? page - 1 : undefined })}>
            {t("common.previous")}
          </Button>
          <span>{t("common.pageOf", { page, pages: data.totalPages })}</span>
          <Button variant="outline" size="sm" disabled={page >= data.totalPages} onClick={() => go({ page: page + 1 })}>
            {t("common.next")}
          </Button>
        </nav>
      )}

      {dragging && (
        <div className="pointer-events-none absolute inset-0 z-10 flex items-center justify-center rounded-xl border-2 border-dashed border-primary bg-background/80">
          <p className="flex items-center gap-2 text-lg font-medium">
            <UploadIcon className="size-5" aria-hidden="true" />
            {t("storage.dropHere", { folder: folder || "/" })}
          </p>
        </div>
      )}

      <NameDialog ask={ask} onClose={() => setAsk(null)} />
      <LinkDialog pid={pid} entry={linking} onClose={() => setLinking(null)} />
      <PreviewDialog pid={pid} entry={previewing} onClose={() => setPreviewing(null)} onDownload={(entry) => void download(entry)} />
      <TextEditorDialog pid={pid} entry={editing} onClose={() => setEditing(null)} />
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(next) => !next && setDeleting(null)}
        title={deleting?.length === 1 ? t("storage.deleteTitle", { name: deleting[0]!.name }) : t("storage.deleteMany", { count: deleting?.length ?? 0 })}
        description={deleting?.some((entry) => entry.type === "dir") ? t("storage.deleteFolderText") : t("storage.deleteText")}
        confirm={t("common.delete")}
        onConfirm={() => (deleting ? remove.mutateAsync(deleting) : undefined)}
      />
      <ConfirmDialog
        open={rotating}
        onOpenChange={setRotating}
        title={t("storage.rotateTitle")}
        description={t("storage.rotateText")}
        confirm={t("storage.rotate")}
        onConfirm={async () => void (await rotate.mutateAsync())}
      />
    </div>
  );
}

/** "report.pdf" -> "report copy.pdf", in the same folder. */
function copyName(path: string, type: Entry["type"]): string {
  const folder = parentOf(path);
  const name = path.slice(folder ? folder.length + 1 : 0);
  const dot = type === "file" ? name.lastIndexOf(".") : -1;
  const copy = dot > 0 ? `${name.slice(0, dot)} copy${name.slice(dot)}` : `${name} copy`;
  return join(folder, copy);
}
