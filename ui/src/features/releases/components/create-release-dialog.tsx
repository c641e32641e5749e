// Release a branch: minor or major bump (the resulting version shown), a comment, tags of the four.
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Loader2Icon } from "lucide-react";
import { useMemo } from "react";
import { Controller, useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import type { Pipeline, Release } from "@/features/projects/api";
import { applyServerErrors } from "@/lib/form";
import { cn } from "@/lib/utils";
import { createRelease, nextVersion, pipelineKey, TAGS } from "../api";
import { releaseSchema, type ReleaseValues } from "../schema";

export function CreateReleaseDialog({
  pid,
  pipeline,
  branch,
  open,
  onOpenChange,
  onCreated,
}: {
  pid: string;
  pipeline: Pipeline;
  branch?: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onCreated?: (release: Release) => void;
}) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const schema = useMemo(() => releaseSchema(), [i18n.language]);
  const form = useForm<ReleaseValues>({
    resolver: zodResolver(schema),
    values: { branch: branch ?? pipeline.branches[0]?.name ?? "", bump: "minor", comment: "", tags: [] },
  });
  const bump = form.watch("bump");
  const create = useMutation({
    mutationFn: (values: ReleaseValues) => createRelease(pid, values),
    onSuccess: async (release) => {
      await queryClient.invalidateQueries({ queryKey: pipelineKey(pid) });
      toast.success(t("releases.created", { version: release.version }));
      onOpenChange(false);
      form.reset();
      onCreated?.(release);
    },
    onError: (error) => applyServerErrors(error, form),
  });
  const first = pipeline.releases.length === 0;

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{t("releases.new")}</DialogTitle>
          <DialogDescription>{t("releases.newText")}</DialogDescription>
        </DialogHeader>
        <form id="release-form" className="grid gap-4" noValidate onSubmit={form.handleSubmit((values) => create.mutate(values))}>
          <Controller
            control={form.control}
            name="branch"
            render={({ field }) => (
              <Field label={t("releases.branch")} error={form.formState.errors.branch?.message}>
                {({ id }) => (
                  <Select value={field.value} onValueChange={field.onChange}>
                    <SelectTrigger id={id}>
                      <SelectValue />
                    </SelectTrigger>
                    <SelectContent>
                      {pipeline.branches.map((item) => (
                        <SelectItem key={item.name} value={item.name}>
                          {item.name}
                        </SelectItem>
                      ))}
                    </SelectContent>
                  </Select>
                )}
              </Field>
            )}
          />
          <fieldset className="grid gap-2">
            <legend className="mb-2 text-sm font-medium">{t("releases.bump")}</legend>
            <div className="grid grid-cols-2 gap-2" role="radiogroup" aria-label={t("releases.bump")}>
              {(["minor", "major"] as const).map((choice) => (
                <button
                  key={choice}
                  type="button"
                  role="radio"
                  aria-checked={bump === choice}
                  disabled={first}
                  onClick={() => form.setValue("bump", choice)}
                  className={cn(
                    "grid gap-0.5 rounded-lg border p-3 text-left text-sm transition-colors disabled:opacity-60",
                    bump === choice && !first ? "border-primary bg-primary/5 ring-1 ring-primary" : "hover:bg-accent",
                  )}
                >
                  <span className="font-medium">{t(`releases.bumps.${choice}`)}</span>
                  <span className="font-mono text-xs text-muted-foreground" data-testid={`bump-${choice}`}>
                    → {first ? "1.0" : nextVersion(pipeline.releases, choice)}
                  </span>
                </button>
              ))}
            </div>
            {first && <p className="text-xs text-muted-foreground">{t("releases.firstIsOne")}</p>}
          </fieldset>
          <Field label={t("releases.comment")} error={form.formState.errors.comment?.message}>
            {(props) => <Textarea {...props} rows={3} {...form.register("comment")} />}
          </Field>
          <Controller
            control={form.control}
            name="tags"
            render={({ field }) => (
              <fieldset>
                <legend className="mb-2 text-sm font-medium">{t("releases.tags")}</legend>
                <div className="flex flex-wrap gap-4">
                  {TAGS.map((tag) => (
                    <div key={tag} className="flex items-center gap-2">
                      <Checkbox
                        id={`tag-${tag}`}
                        checked={field.value.includes(tag)}
                        onCheckedChange={(checked) => field.onChange(checked === true ? [...field.value, tag] : field.value.filter((item) => item !== tag))}
                      />
                      <Label htmlFor={`tag-${tag}`} className="font-normal">
                        {tag}
                      </Label>
                    </div>
                  ))}
                </div>
              </fieldset>
            )}
          />
        </form>
        <DialogFooter>
          <Button variant="outline" onClick={() => onOpenChange(false)}>
            {t("common.cancel")}
          </Button>
          <Button type="submit" form="release-form" disabled={create.isPending || pipeline.branches.length === 0}>
            {create.isPending && <Loader2Icon className="animate-spin" />}
            {t("releases.createVersion", { version: first ? "1.0" : nextVersion(pipeline.releases, bump) })}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
