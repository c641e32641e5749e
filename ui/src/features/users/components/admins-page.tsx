import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  type ColumnDef,
  flexRender,
  getCoreRowModel,
  getFilteredRowModel,
  getPaginationRowModel,
  useReactTable,
} from "@tanstack/react-table";
import { BanIcon, CheckCircleIcon, LockIcon, MoreHorizontalIcon, PencilIcon, PlusIcon, SearchIcon, ShieldIcon, Trash2Icon } from "lucide-react";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { ErrorState } from "@/components/error-state";
import { UserAvatar } from "@/components/layout/user-menu";
import { NotFoundInline } from "@/components/not-found-inline";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { abilities, useMe, type User } from "@/features/auth/api";
import { formatDate } from "@/lib/format";
import { toastError } from "@/lib/form";
import { blockUser, deleteUser, everyoneQuery, userKeys } from "../api";
import { UserDialog } from "./user-dialog";

const PAGE_SIZE = 10;

export function AdminsPage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const can = abilities(me);
  if (!can.manageUsers) return <NotFoundInline title={t("admins.noAccess")} />;
  return <AdminsTable me={me!} />;
}

function AdminsTable({ me }: { me: User }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  // The server lists users without a search parameter; a team's admins fit in one page of 500,
  // so search and paging run here.
  const users = useQuery(everyoneQuery);
  const [search, setSearch] = useState("");
  const [editing, setEditing] = useState<User | null>(null);
  const [dialogOpen, setDialogOpen] = useState(false);
  const [deleting, setDeleting] = useState<User | null>(null);

  const block = useMutation({
    mutationFn: ({ user, blocked }: { user: User; blocked: boolean }) => blockUser(user.id, blocked),
    onSuccess: async (user) => {
      await queryClient.invalidateQueries({ queryKey: userKeys.all });
      toast.success(user.blocked ? t("admins.blockedToast", { email: user.email }) : t("admins.unblockedToast", { email: user.email }));
    },
    onError: toastError,
  });
  const remove = useMutation({
    mutationFn: (user: User) => deleteUser(user.id),
    onSuccess: async (_, user) => {
      await queryClient.invalidateQueries({ queryKey: userKeys.all });
      toast.success(t("admins.deleted", { email: user.email }));
    },
    onError: toastError,
  });

  const columns = useMemo<ColumnDef<User>[]>(
    () => [
      {
        id: "user",
        accessorFn: (user) => `${user.name} ${user.email}`,
        header: () => t("admins.user"),
        cell: ({ row }) => (
          <span className="flex items-center gap-3">
            <UserAvatar user={row.original} className="size-8" />
            <span className="grid min-w-0 leading-tight">
              <span className="truncate font-medium">{row.original.name || "—"}</span>
              <span className="truncate text-xs text-muted-foreground">{row.original.email}</span>
            </span>
          </span>
        ),
      },
      {
        id: "role",
        header: () => t("admins.role"),
        cell: ({ row }) => {
          const user = row.original;
          if (user.isRoot)
            return (
              <Badge variant="default">
                <LockIcon />
                {t("admins.root")}
              </Badge>
            );
          return (
            <span className="flex flex-wrap gap-1">
              {user.permissions.manageUsers && <Badge variant="secondary">{t("admins.manageUsers")}</Badge>}
              {user.permissions.createProjects && <Badge variant="secondary">{t("admins.createProjects")}</Badge>}
              {user.permissions.projects.length > 0 && (
                <Badge variant="outline">{t("admins.projectsCount", { count: user.permissions.projects.length })}</Badge>
              )}
              {!user.permissions.manageUsers && !user.permissions.createProjects && user.permissions.projects.length === 0 && (
                <span className="text-xs text-muted-foreground">{t("admins.noPermissions")}</span>
              )}
            </span>
          );
        },
      },
      {
        id: "status",
        header: () => t("admins.status"),
        cell: ({ row }) =>
          row.original.blocked ? <Badge variant="destructive">{t("admins.blocked")}</Badge> : <Badge variant="success">{t("admins.active")}</Badge>,
      },
      { id: "created", header: () => t("admins.created_at"), cell: ({ row }) => <span className="text-xs text-muted-foreground">{formatDate(row.original.created)}</span> },
      {
        id: "actions",
        header: () => <span className="sr-only">{t("common.actions")}</span>,
        cell: ({ row }) => {
          const user = row.original;
          const self = user.id === me.id;
          const protectedRoot = user.isRoot && !me.isRoot; // only root changes root
          if (protectedRoot)
            return (
              <span className="flex justify-end" title={t("admins.protected")}>
                <ShieldIcon className="size-4 text-muted-foreground" aria-label={t("admins.protected")} />
              </span>
            );
          return (
            <div className="flex justify-end">
              <DropdownMenu>
                <DropdownMenuTrigger asChild>
                  <Button variant="ghost" size="icon-sm" aria-label={t("admins.actionsFor", { email: user.email })}>
                    <MoreHorizontalIcon />
                  </Button>
                </DropdownMenuTrigger>
                <DropdownMenuContent align="end">
                  <DropdownMenuItem
                    onSelect={() => {
                      setEditing(user);
                      setDialogOpen(true);
                    }}
                  >
                    <PencilIcon />
                    {t("common.edit")}
                  </DropdownMenuItem>
                  <DropdownMenuItem disabled={self || user.isRoot} onSelect={() => block.mutate({ user, blocked: !user.blocked })}>
                    {user.blocked ? <CheckCircleIcon /> : <BanIcon />}
                    {user.blocked ? t("admins.unblock") : t("admins.block")}
                  </DropdownMenuItem>
                  <DropdownMenuSeparator />
                  <DropdownMenuItem variant="destructive" disabled={self || user.isRoot} onSelect={() => setDeleting(user)}>
                    <Trash2Icon />
                    {t("common.delete")}
                  </DropdownMenuItem>
                </DropdownMenuContent>
              </DropdownMenu>
            </div>
          );
        },
      },
    ],
    [t, me, block],
  );

  const table = useReactTable({
    data: users.data ?? [],
    columns,
    state: { globalFilter: search },
    onGlobalFilterChange: setSearch,
    globalFilterFn: (row, _, value: string) => row.getValue<string>("user").toLowerCase().includes(value.trim().toLowerCase()),
    getCoreRowModel: getCoreRowModel(),
    getFilteredRowModel: getFilteredRowModel(),
    getPaginationRowModel: getPaginationRowModel(),
    initialState: { pagination: { pageSize: PAGE_SIZE } },
    getRowId: (user) => user.id,
  });
  const { pageIndex } = table.getState().pagination;
  const filtered = table.getFilteredRowModel().rows.length;

  return (
    <div className="mx-auto grid max-w-6xl gap-6">
      <PageHeader
        title={t("admins.title")}
        description={t("admins.description")}
        actions={
          <Button
            onClick={() => {
              setEditing(null);
              setDialogOpen(true);
            }}
          >
            <PlusIcon />
            {t("admins.new")}
          </Button>
        }
      />
      {users.isError ? (
        <ErrorState error={users.error} retry={() => void users.refetch()} />
      ) : (
        <div className="grid gap-3">
          <div className="relative max-w-xs">
            <SearchIcon className="pointer-events-none absolute top-2.5 left-2.5 size-4 text-muted-foreground" aria-hidden="true" />
            <Input
              type="search"
              value={search}
              onChange={(event) => {
                setSearch(event.target.value);
                table.setPageIndex(0);
              }}
              placeholder={t("admins.search")}
              aria-label={t("admins.search")}
              className="pl-8"
            />
          </div>
          <div className="rounded-xl border bg-card">
            <Table>
              <TableHeader>
                {table.getHeaderGroups().map((group) => (
                  <TableRow key={group.id}>
                    {group.headers.map((header) => (
                      <TableHead key={header.id} className="first:pl-4 last:pr-4">
                        {flexRender(header.column.columnDef.header, header.getContext())}
                      </TableHead>
                    ))}
                  </TableRow>
                ))}
              </TableHeader>
              <TableBody>
                {users.isPending
                  ? [0, 1, 2].map((index) => (
                      <TableRow key={index}>
                        <TableCell colSpan={columns.length} className="px-4">
                          <Skeleton className="h-8" />
                        </TableCell>
                      </TableRow>
                    ))
                  : table.getRowModel().rows.map((row) => (
                      <TableRow key={row.id} data-testid="admin-row" data-email={row.original.email}>
                        {row.getVisibleCells().map((cell) => (
                          <TableCell key={cell.id} className="first:pl-4 last:pr-4">
                            {flexRender(cell.column.columnDef.cell, cell.getContext())}
                          </TableCell>
                        ))}
                      </TableRow>
                    ))}
                {!users.isPending && filtered === 0 && (
                  <TableRow>
                    <TableCell colSpan={columns.length} className="py-10 text-center text-sm text-muted-foreground">
                      {t("admins.noMatch")}
                    </TableCell>
                  </TableRow>
                )}
              </TableBody>
            </Table>
          </div>
          <div className="flex items-center justify-between gap-2 text-sm text-muted-foreground">
            <span>{t("admins.count", { count: filtered })}</span>
            <div className="flex items-center gap-2">
              <span>{t("common.pageOf", { page: pageIndex + 1, pages: Math.max(table.getPageCount(), 1) })}</span>
              <Button variant="outline" size="sm" onClick={() => table.previousPage()} disabled={!table.getCanPreviousPage()}>
                {t("common.previous")}
              </Button>
              <Button variant="outline" size="sm" onClick={() => table.nextPage()} disabled={!table.getCanNextPage()}>
                {t("common.next")}
              </Button>
            </div>
          </div>
        </div>
      )}
      <UserDialog user={editing} open={dialogOpen} onOpenChange={setDialogOpen} self={editing?.id === me.id} />
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(next) => !next && setDeleting(null)}
        title={t("admins.deleteTitle", { email: deleting?.email ?? "" })}
        description={t("admins.deleteText")}
        confirm={t("common.delete")}
        onConfirm={() => (deleting ? remove.mutateAsync(deleting) : undefined)}
      />
    </div>
  );
}
