// The service's code in Monaco: a branch's draft, saved with the button or Ctrl+S (the first save
// of a new project creates "develop" from the starter template), branches, and a release.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { GitBranchIcon, GitBranchPlusIcon, Loader2Icon, MoreHorizontalIcon, PackagePlusIcon, RotateCcwIcon, SaveIcon, Trash2Icon } from "lucide-react";
import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { CodeEditor, formatDocument, setTypings } from "@/components/code-editor";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { ErrorState } from "@/components/error-state";
import { NotFoundInline } from "@/components/not-found-inline";
import { Badge } from "@/components/ui/badge";
import { Label } from "@/components/ui/label";
import { Switch } from "@/components/ui/switch";
import { Button } from "@/components/ui/button";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuSeparator, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { pipelineQuery } from "@/features/projects/api";
import { useProject } from "@/features/projects/use-project";
import { CreateReleaseDialog } from "@/features/releases/components/create-release-dialog";
import { toastError } from "@/lib/form";
import { useFormatOnSave } from "../format-on-save";
import { branchQuery, codeKeys, deleteBranch, FIRST_BRANCH, pipelineKey, saveBranch, templateQuery, typingsQuery } from "../api";
import { NewBranchDialog, ResetBranchDialog } from "./branch-dialogs";
import { UnsavedGuard } from "./unsaved-guard";

const route = getRouteApi("/app/projects/$pid/code");

export function CodePage() {
  const { t } = useTranslation();
  const project = useProject().data!;
  const pid = project.id;
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const queryClient = useQueryClient();
  const pipeline = useQuery(pipelineQuery(pid));
  const typings = useQuery(typingsQuery(pid));
  useEffect(() => {
    if (typings.data) void setTypings(typings.data);
  }, [typings.data]);

  const branches = pipeline.data?.branches ?? [];
  const fresh = pipeline.isSuccess && branches.length === 0; // no branch yet: the template
  const name = search.branch ?? (branches.some((b) => b.name === FIRST_BRANCH) ? FIRST_BRANCH : (branches[0]?.name ?? FIRST_BRANCH));
  const exists = branches.some((b) => b.name === name);
  const branch = useQuery({ ...branchQuery(pid, name), enabled: pipeline.isSuccess && exists });
  const template = useQuery({ ...templateQuery(pid), enabled: fresh });
  const saved = fresh ? template.data?.code : branch.data?.code;

  // The draft of the branch on screen; null until it is edited.
  const [draft, setDraft] = useState<string | null>(null);
  useEffect(() => setDraft(null), [name]);
  const dirty = draft !== null && saved !== undefined && draft !== saved;
  const text = useRef("");
  text.current = draft ?? saved ?? "";

  const [resets, setResets] = useState(0); // a reset replaces the text: the editor starts again
  const [dialog, setDialog] = useState<"branch" | "reset" | "delete" | "release" | null>(null);
  const save = useMutation({
    mutationFn: (code: string) => saveBranch(pid, name, code),
    onSuccess: async (done) => {
      queryClient.setQueryData(codeKeys.branch(pid, done.name), done);
      setDraft((current) => (current === done.code ? null : current));
      if (fresh) await queryClient.invalidateQueries({ queryKey: pipelineKey(pid) });
      toast.success(t("code.saved", { name: done.name }));
    },
    onError: toastError,
  });
  const [formatOnSave, setFormatOnSave] = useFormatOnSave();
  const path = `/projects/${pid}/branches/${name}.js`;
  const onSave = useCallback(async () => {
    if (save.isPending || !(dirty || fresh)) return;
    // Formatted first (the edit is undoable in the editor); the formatted text is what is saved.
    const formatted = formatOnSave ? await formatDocument(path).catch(() => null) : null;
    save.mutate(formatted ?? text.current);
  }, [save, dirty, fresh, formatOnSave, path]);
  const remove = useMutation({
    mutationFn: () => deleteBranch(pid, name),
    onSuccess: async () => {
      setDraft(null);
      // The branch leaves the caches before the page moves on (no request for what is gone).
      queryClient.removeQueries({ queryKey: codeKeys.branch(pid, name) });
      queryClient.setQueryData(pipelineKey(pid), (old: typeof pipeline.data) => old && { ...old, branches: old.branches.filter((b) => b.name !== name) });
      const next = branches.find((b) => b.name !== name)?.name;
      await navigate({ search: { branch: next }, replace: true });
      await queryClient.invalidateQueries({ queryKey: pipelineKey(pid) });
      toast.success(t("code.branchDeleted", { name }));
    },
    onError: toastError,
  });
  const go = (next: string) => void navigate({ search: { branch: next } });

  if (pipeline.isError) return <ErrorState error={pipeline.error} retry={() => void pipeline.refetch()} />;
  if (pipeline.isSuccess && !fresh && !exists) return <NotFoundInline title={t("code.noBranch", { name })} />;
  const failed = branch.isError ? branch : template.isError ? template : null;

  return (
    <div className="flex h-[calc(100dvh-5.5rem)] min-h-[26rem] flex-col gap-3 md:h-[calc(100dvh-6.5rem)]">
      <div className="flex flex-wrap items-center gap-2">
        <h1 className="mr-2 text-2xl font-semibold tracking-tight">{t("code.title")}</h1>
        {pipeline.data && !fresh ? (
          <Select value={name} onValueChange={go}>
            <SelectTrigger className="w-52 font-mono [&>span]:flex-1 [&>span]:text-left" aria-label={t("code.branch")}>
              <GitBranchIcon className="size-4 text-muted-foreground" aria-hidden="true" />
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {branches.map((item) => (
                <SelectItem key={item.name} value={item.name} className="font-mono">
                  {item.name}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        ) : (
          <Badge variant="outline" className="font-mono">
            <GitBranchIcon />
            {t("code.newProjectBranch", { name: FIRST_BRANCH })}
          </Badge>
        )}
        {dirty && (
          <Badge variant="secondary" data-testid="unsaved">
            {t("code.unsaved")}
          </Badge>
        )}
        <div className="ml-auto flex flex-wrap items-center gap-2">
          <div className="flex items-center gap-2" title={t("formatOnSave.text")}>
            <Switch id="format-on-save" checked={formatOnSave} onCheckedChange={setFormatOnSave} />
            <Label htmlFor="format-on-save" className="text-sm font-normal">
              {t("formatOnSave.label")}
            </Label>
          </div>
          <Button onClick={() => void onSave()} disabled={save.isPending || (!dirty && !fresh)} aria-keyshortcuts="Control+S" title={t("code.saveHint")}>
            {save.isPending ? <Loader2Icon className="animate-spin" /> : <SaveIcon />}
            {t("common.save")}
          </Button>
          <Button variant="outline" onClick={() => setDialog("release")} disabled={fresh || dirty} title={dirty ? t("code.saveFirst") : undefined}>
            <PackagePlusIcon />
            {t("code.release")}
          </Button>
          <DropdownMenu>
            <DropdownMenuTrigger asChild>
              <Button variant="ghost" size="icon" aria-label={t("code.branchActions")} disabled={fresh}>
                <MoreHorizontalIcon />
              </Button>
            </DropdownMenuTrigger>
            <DropdownMenuContent align="end">
              <DropdownMenuItem onSelect={() => setDialog("branch")}>
                <GitBranchPlusIcon />
                {t("code.newBranchMenu")}
              </DropdownMenuItem>
              <DropdownMenuItem onSelect={() => setDialog("reset")} disabled={branches.length < 2 && (pipeline.data?.releases.length ?? 0) === 0}>
                <RotateCcwIcon />
                {t("code.resetBranch")}
              </DropdownMenuItem>
              <DropdownMenuSeparator />
              <DropdownMenuItem variant="destructive" onSelect={() => setDialog("delete")} disabled={branches.length < 2}>
                <Trash2Icon />
                {t("code.deleteBranch")}
              </DropdownMenuItem>
            </DropdownMenuContent>
          </DropdownMenu>
        </div>
      </div>
      <div className="min-h-0 flex-1 overflow-hidden rounded-xl border bg-card">
        {failed ? (
          <ErrorState error={failed.error} retry={() => void failed.refetch()} />
        ) : saved === undefined ? (
          <Skeleton className="h-full w-full rounded-none" />
        ) : (
          <CodeEditor
            key={`${name}-${resets}`}
            path={path}
            value={draft ?? saved}
            onChange={(value) => setDraft(value)}
            onSave={() => void onSave()}
            label={t("code.editorLabel", { name })}
          />
        )}
      </div>
      <UnsavedGuard dirty={dirty} />
      {pipeline.data && !fresh && (
        <>
          <NewBranchDialog pid={pid} pipeline={pipeline.data} current={name} open={dialog === "branch"} onOpenChange={(open) => setDialog(open ? "branch" : null)} onCreated={(created) => go(created.name)} />
          <ResetBranchDialog key={`${name}-${dialog}`} pid={pid} pipeline={pipeline.data} branch={name} open={dialog === "reset"} onOpenChange={(open) => setDialog(open ? "reset" : null)} onReset={() => {
            setDraft(null);
            setResets((count) => count + 1);
          }} />
          <CreateReleaseDialog pid={pid} pipeline={pipeline.data} branch={name} open={dialog === "release"} onOpenChange={(open) => setDialog(open ? "release" : null)} />
          <ConfirmDialog
            open={dialog === "delete"}
            onOpenChange={(open) => setDialog(open ? "delete" : null)}
            title={t("code.deleteTitle", { name })}
            description={t("code.deleteText")}
            confirm={t("common.delete")}
            onConfirm={async () => void (await remove.mutateAsync().catch(() => undefined))}
          />
        </>
      )}
    </div>
  );
}
