// New branch (from a release or a branch) and reset a branch (to a release or a branch).
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Loader2Icon } from "lucide-react";
import { useMemo, useState } from "react";
import { Controller, useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import {
  AlertDialog,
  AlertDialogAction,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
} from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectGroup, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import type { Pipeline } from "@/features/projects/api";
import { applyServerErrors, toastError } from "@/lib/form";
import { type Branch, codeKeys, createBranch, pipelineKey, resetBranch, sourceOf, sourceValue } from "../api";
import { branchSchema, type BranchValues } from "../schema";

/** Every branch and release as <Select> items (values "branch:x" / "release:1.0", never empty). */
export function SourceItems({ pipeline, except }: { pipeline: Pipeline; except?: string }) {
  const { t } = useTranslation();
  return (
    <>
      <SelectGroup>
        {pipeline.branches
          .filter((branch) => branch.name !== except)
          .map((branch) => (
            <SelectItem key={branch.name} value={sourceValue({ branch: branch.name })}>
              {t("code.branchItem", { name: branch.name })}
            </SelectItem>
          ))}
      </SelectGroup>
      <SelectGroup>
        {pipeline.releases.map((release) => (
          <SelectItem key={release.version} value={sourceValue({ release: release.version })}>
            {t("code.releaseItem", { version: release.version })}
          </SelectItem>
        ))}
      </SelectGroup>
    </>
  );
}

export function NewBranchDialog({
  pid,
  pipeline,
  current,
  open,
  onOpenChange,
  onCreated,
}: {
  pid: string;
  pipeline: Pipeline;
  current: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onCreated: (branch: Branch) => void;
}) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const schema = useMemo(() => branchSchema(), [i18n.language]);
  const form = useForm<BranchValues>({ resolver: zodResolver(schema), values: { name: "", from: sourceValue({ branch: current }) } });
  const create = useMutation({
    mutationFn: (values: BranchValues) => createBranch(pid, values.name, sourceOf(values.from)),
    onSuccess: async (branch) => {
      queryClient.setQueryData(codeKeys.branch(pid, branch.name), branch);
      await queryClient.invalidateQueries({ queryKey: pipelineKey(pid) });
      toast.success(t("code.branchCreated", { name: branch.name }));
      onOpenChange(false);
      onCreated(branch);
    },
    onError: (error) => applyServerErrors(error, form),
  });
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{t("code.newBranch")}</DialogTitle>
          <DialogDescription>{t("code.newBranchText")}</DialogDescription>
        </DialogHeader>
        <form id="branch-form" className="grid gap-4" noValidate onSubmit={form.handleSubmit((values) => create.mutate(values))}>
          <Field label={t("code.branchName")} error={form.formState.errors.name?.message}>
            {(props) => <Input {...props} autoFocus autoComplete="off" spellCheck={false} className="font-mono" {...form.register("name")} />}
          </Field>
          <Controller
            control={form.control}
            name="from"
            render={({ field }) => (
              <Field label={t("code.from")} error={form.formState.errors.from?.message}>
                {({ id }) => (
                  <Select value={field.value} onValueChange={field.onChange}>
                    <SelectTrigger id={id}>
                      <SelectValue />
                    </SelectTrigger>
                    <SelectContent>
                      <SourceItems pipeline={pipeline} />
                    </SelectContent>
                  </Select>
                )}
              </Field>
            )}
          />
        </form>
        <DialogFooter>
          <Button variant="outline" onClick={() => onOpenChange(false)}>
            {t("common.cancel")}
          </Button>
          <Button type="submit" form="branch-form" disabled={create.isPending}>
            {create.isPending && <Loader2Icon className="animate-spin" />}
            {t("code.createBranch")}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}

export function ResetBranchDialog({
  pid,
  pipeline,
  branch,
  open,
  onOpenChange,
  onReset,
}: {
  pid: string;
  pipeline: Pipeline;
  branch: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onReset: (branch: Branch) => void;
}) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const other = pipeline.branches.find((candidate) => candidate.name !== branch);
  const first = pipeline.releases[0] ? sourceValue({ release: pipeline.releases[0].version }) : other ? sourceValue({ branch: other.name }) : undefined;
  const [target, setTarget] = useState<string | undefined>(first);
  const reset = useMutation({
    mutationFn: (value: string) => resetBranch(pid, branch, sourceOf(value)),
    onSuccess: async (done) => {
      queryClient.setQueryData(codeKeys.branch(pid, branch), done);
      await queryClient.invalidateQueries({ queryKey: pipelineKey(pid) });
      toast.success(t("code.resetDone", { name: branch }));
      onOpenChange(false);
      onReset(done);
    },
    onError: toastError,
  });
  return (
    <AlertDialog open={open} onOpenChange={onOpenChange}>
      <AlertDialogContent>
        <AlertDialogHeader>
          <AlertDialogTitle>{t("code.resetTitle", { name: branch })}</AlertDialogTitle>
          <AlertDialogDescription>{t("code.resetText")}</AlertDialogDescription>
        </AlertDialogHeader>
        <Select value={target} onValueChange={setTarget}>
          <SelectTrigger aria-label={t("code.resetTo")}>
            <SelectValue placeholder={t("code.resetTo")} />
          </SelectTrigger>
          <SelectContent>
            <SourceItems pipeline={pipeline} except={branch} />
          </SelectContent>
        </Select>
        <AlertDialogFooter>
          <AlertDialogCancel>{t("common.cancel")}</AlertDialogCancel>
          <AlertDialogAction
            destructive
            disabled={!target || reset.isPending}
            onClick={(event) => {
              event.preventDefault();
              if (target) reset.mutate(target);
            }}
          >
            {t("code.reset")}
          </AlertDialogAction>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
