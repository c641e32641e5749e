// A new model: a name and a slug (suggested from the name until edited). The server's 422/409
// (a reserved word, a slug taken) lands on its field; then the schema editor opens.
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { Loader2Icon } from "lucide-react";
import { useMemo, useRef } from "react";
import { useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { applyServerErrors } from "@/lib/form";
import { createModel, datastoreKeys } from "../api";
import { newModelSchema, type NewModelValues, suggestModelSlug } from "./model-schema";

export function NewModelDialog({ pid, projectSlug, open, onOpenChange }: { pid: string; projectSlug: string; open: boolean; onOpenChange: (open: boolean) => void }) {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const slugEdited = useRef(false);
  // Rebuilt when the language changes: the messages are in it.
  const schema = useMemo(() => newModelSchema(), [i18n.language]);
  const form = useForm<NewModelValues>({ resolver: zodResolver(schema), mode: "onChange", defaultValues: { name: "", slug: "" } });
  const slug = form.watch("slug");

  const close = (next: boolean) => {
    if (!next) {
      form.reset();
      slugEdited.current = false;
    }
    onOpenChange(next);
  };

  const create = useMutation({
    mutationFn: (values: NewModelValues) =>
      createModel(pid, {
        ...values,
        fields: [],
        table: { columns: ["id", "created"], filterable: [], sortable: ["created"], defaultSort: "-created", pageSize: 30 },
        form: { order: [], hidden: [], widgets: {} },
      }),
    onSuccess: async (model) => {
      await queryClient.invalidateQueries({ queryKey: datastoreKeys.models(pid), exact: true });
      toast.success(t("datastore.models.created", { name: model.name }));
      close(false);
      await navigate({ to: "/projects/$pid/data/$model/schema", params: { pid: projectSlug, model: model.slug } });
    },
    onError: (error) => applyServerErrors(error, form),
  });

  const nameField = form.register("name", {
    onChange: (event: React.ChangeEvent<HTMLInputElement>) => {
      if (!slugEdited.current) form.setValue("slug", suggestModelSlug(event.target.value), { shouldValidate: true });
    },
  });
  const slugField = form.register("slug", {
    onChange: () => {
      slugEdited.current = true;
    },
  });

  return (
    <Dialog open={open} onOpenChange={close}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{t("datastore.models.new")}</DialogTitle>
          <DialogDescription>{t("datastore.models.newDescription")}</DialogDescription>
        </DialogHeader>
        <form id="new-model" className="grid gap-4" noValidate onSubmit={form.handleSubmit((values) => create.mutate(values))}>
          <Field label={t("common.name")} error={form.formState.errors.name?.message}>
            {(props) => <Input {...props} autoFocus autoComplete="off" {...nameField} />}
          </Field>
          <Field
            label={t("datastore.models.slug")}
            error={form.formState.errors.slug?.message}
            hint={slug ? t("datastore.models.slugUse", { slug }) : t("datastore.models.slugHint")}
          >
            {(props) => <Input {...props} autoComplete="off" spellCheck={false} className="font-mono" {...slugField} />}
          </Field>
        </form>
        <DialogFooter>
          <Button variant="outline" onClick={() => close(false)}>
            {t("common.cancel")}
          </Button>
          <Button type="submit" form="new-model" disabled={create.isPending}>
            {create.isPending && <Loader2Icon className="animate-spin" />}
            {t("datastore.models.create")}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
