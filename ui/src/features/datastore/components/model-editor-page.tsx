// A model's schema: fields, table and form, edited as one draft and saved with one PATCH (its
// `renames` move the values of renamed keys). The server's refusals land on the place they name.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import { AlertTriangleIcon, Loader2Icon, TableIcon } from "lucide-react";
import { useCallback, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { ErrorState } from "@/components/error-state";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { UnsavedGuard } from "@/features/code/components/unsaved-guard";
import { useProject } from "@/features/projects/use-project";
import { datastoreKeys, type Model, modelQuery, modelsQuery, updateModel } from "../api";
import { FormConfigEditor } from "./form-config-editor";
import { type Draft, type DraftErrors, draftErrors, draftOf, formFromKeys, modelOf, payloadOf, tabOf, withoutFieldErrors } from "./model-draft";
import { FieldsTab } from "./model-fields-tab";
import { draftProblems } from "./model-schema";
import { TableTab } from "./model-table-tab";

type Tab = "fields" | "table" | "form";

export function ModelEditorPage() {
  const project = useProject().data!;
  const { model: slug } = useParams({ from: "/app/projects/$pid/data/$model/schema" });
  const model = useQuery(modelQuery(project.id, slug));
  if (model.isError) return <ErrorState error={model.error} retry={() => void model.refetch()} />;
  if (model.isPending)
    return (
      <div className="grid gap-4" data-testid="model-editor-loading">
        <Skeleton className="h-10 w-72" />
        <Skeleton className="h-9 w-64" />
        <Skeleton className="h-64 rounded-xl" />
      </div>
    );
  // Keyed by the model: another model's schema starts a new draft.
  return <ModelEditor key={model.data.id} pid={project.id} projectSlug={project.slug} slug={slug} model={model.data} />;
}

function ModelEditor({ pid, projectSlug, slug, model }: { pid: string; projectSlug: string; slug: string; model: Model }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const models = useQuery(modelsQuery(pid));
  const [saved, setSaved] = useState(model);
  const [base, setBase] = useState(() => draftOf(model));
  const [draft, setDraft] = useState(base);
  const [errors, setErrors] = useState<DraftErrors>({});
  const [tab, setTab] = useState<Tab>("fields");
  const savedText = useMemo(() => JSON.stringify(payloadOf(base)), [base]);
  const dirty = useMemo(() => JSON.stringify(payloadOf(draft)) !== savedText, [draft, savedText]);
  const edited = useMemo(() => modelOf(draft, saved), [draft, saved]);

  const showErrors = (found: DraftErrors) => {
    setErrors(found);
    const first = Object.keys(found).find((place) => place !== "general" && place !== "name");
    if (first) setTab(tabOf(first));
  };

  const save = useMutation({
    mutationFn: (sent: Draft) => updateModel(pid, saved.id, payloadOf(sent)),
    onSuccess: async (next, sent) => {
      queryClient.setQueryData(datastoreKeys.model(pid, slug), next);
      // The records took the new shape (renamed, converted, dropped values).
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: datastoreKeys.models(pid), exact: true }),
        queryClient.invalidateQueries({ queryKey: datastoreKeys.records(pid, slug) }),
      ]);
      const rebased = draftOf(next, sent.fields.map((entry) => entry.uid));
      setSaved(next);
      setBase(rebased);
      setDraft(rebased);
      setErrors({});
      toast.success(t("datastore.models.saved", { name: next.name }));
    },
    onError: (error, sent) => showErrors(draftErrors(error, sent)),
  });

  const onSave = useCallback(() => {
    if (save.isPending) return;
    const problems = draftProblems(draft);
    if (Object.keys(problems).length) return showErrors(problems);
    save.mutate(draft);
  }, [draft, save]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
        event.preventDefault();
        onSave();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onSave]);

  /** A change of the draft; the errors about what changed go (they were about what was sent). */
  const change = (next: Draft, touched?: string) => {
    setDraft(next);
    setErrors((current) => (touched ? withoutFieldErrors(current, touched) : current));
  };
  const changeSection = (next: Draft, section: "table" | "form") => {
    setDraft(next);
    setErrors((current) => Object.fromEntries(Object.entries(current).filter(([where]) => !where.startsWith(`${section}.`))));
  };
  const count = (which: Tab) => Object.keys(errors).filter((place) => place !== "general" && place !== "name" && tabOf(place) === which).length;
  const formErrors = Object.entries(errors).filter(([where]) => where.startsWith("form."));

  const actions = (
    <>
      {dirty && (
        <Badge variant="secondary" data-testid="unsaved">
          {t("datastore.models.unsaved")}
        </Badge>
      )}
      <Button variant="outline" asChild>
        <Link to="/projects/$pid/data/$model" params={{ pid: projectSlug, model: slug }}>
          <TableIcon />
          {t("datastore.models.records")}
        </Link>
      </Button>
      <Button onClick={onSave} disabled={save.isPending || !dirty} aria-keyshortcuts="Control+S" title={t("datastore.models.saveHint")}>
        {save.isPending && <Loader2Icon className="animate-spin" />}
        {t("common.save")}
      </Button>
    </>
  );

  return (
    <div className="grid gap-5">
      <PageHeader
        title={saved.name}
        description={
          <>
            {t("datastore.schemaDescription")} · <code className="text-xs">$database.{saved.slug}</code>
          </>
        }
        actions={actions}
      />
      {errors.general && (
        <p role="alert" className="flex items-start gap-2 rounded-md border border-destructive/40 bg-destructive/5 px-3 py-2 text-sm text-destructive">
          <AlertTriangleIcon className="mt-0.5 size-4 shrink-0" aria-hidden="true" />
          {errors.general}
        </p>
      )}
      <Field label={t("common.name")} error={errors.name} className="max-w-sm">
        {(control) => (
          <Input
            {...control}
            value={draft.name}
            autoComplete="off"
            onChange={(event) => {
              setDraft({ ...draft, name: event.target.value });
              setErrors((current) => withoutFieldErrors(current, "name"));
            }}
          />
        )}
      </Field>
      <Tabs value={tab} onValueChange={(next) => setTab(next as Tab)}>
        <TabsList>
          {(["fields", "table", "form"] as const).map((which) => (
            <TabsTrigger key={which} value={which} className="px-3">
              {t(`datastore.models.tabs.${which}`)}
              {which === "fields" && <span className="text-xs text-muted-foreground">{draft.fields.length}</span>}
              {count(which) > 0 && (
                <>
                  <Badge variant="destructive" className="px-1.5 py-0" aria-hidden="true">
                    {count(which)}
                  </Badge>
                  <span className="sr-only">{t("datastore.models.tabErrors", { count: count(which) })}</span>
                </>
              )}
            </TabsTrigger>
          ))}
        </TabsList>
        <TabsContent value="fields">
          <FieldsTab draft={draft} saved={saved} models={models.data ?? [saved]} errors={errors} onChange={change} />
        </TabsContent>
        <TabsContent value="table">
          <TableTab draft={draft} errors={errors} onChange={(next) => changeSection(next, "table")} />
        </TabsContent>
        <TabsContent value="form" className="grid gap-3">
          {formErrors.length > 0 && (
            <ul role="alert" className="grid gap-1 rounded-md border border-destructive/40 bg-destructive/5 px-3 py-2 text-sm text-destructive" data-field-error>
              {formErrors.map(([where, message]) => (
                <li key={where}>
                  <span className="font-mono">{where}</span>: {message}
                </li>
              ))}
            </ul>
          )}
          <FormConfigEditor pid={pid} model={edited} value={edited.form} onChange={(form) => changeSection({ ...draft, form: formFromKeys(draft, form) }, "form")} />
        </TabsContent>
      </Tabs>
      <UnsavedGuard dirty={dirty} />
    </div>
  );
}
