// Deleting a model asks first (its slug typed: the records go with it). A refusal stays in the
// dialog with the server's reason (409: another model's ref points at this one).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { AlertTriangleIcon, Loader2Icon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
} from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { errorMessage } from "@/lib/form";
import { datastoreKeys, deleteModel, type Model } from "../api";

export function DeleteModelDialog({ pid, model, onOpenChange }: { pid: string; model: Model | null; onOpenChange: (open: boolean) => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [typed, setTyped] = useState("");
  const close = () => {
    setTyped("");
    remove.reset();
    onOpenChange(false);
  };
  const remove = useMutation({
    mutationFn: (doomed: Model) => deleteModel(pid, doomed.id),
    onSuccess: async (_, doomed) => {
      // Out of the cached list first, so nothing asks the server for what is gone.
      queryClient.setQueryData<Model[]>(datastoreKeys.models(pid), (list) => list?.filter((item) => item.id !== doomed.id));
      queryClient.removeQueries({ queryKey: datastoreKeys.model(pid, doomed.slug) });
      queryClient.removeQueries({ queryKey: datastoreKeys.records(pid, doomed.slug) });
      toast.success(t("datastore.models.deleted", { name: doomed.name }));
      close();
      await queryClient.invalidateQueries({ queryKey: datastoreKeys.models(pid), exact: true });
    },
  });
  return (
    <AlertDialog open={model !== null} onOpenChange={(next) => !next && close()}>
      <AlertDialogContent>
        <AlertDialogHeader>
          <AlertDialogTitle>{t("datastore.models.deleteTitle", { name: model?.name ?? "" })}</AlertDialogTitle>
          <AlertDialogDescription>{t("datastore.models.deleteText")}</AlertDialogDescription>
        </AlertDialogHeader>
        <div className="grid gap-2">
          <Label htmlFor="delete-model-slug">{t("common.typeToConfirm", { word: model?.slug ?? "" })}</Label>
          <Input id="delete-model-slug" className="font-mono" value={typed} autoComplete="off" spellCheck={false} onChange={(event) => setTyped(event.target.value)} />
        </div>
        {remove.isError && (
          <p role="alert" className="flex items-start gap-2 rounded-md border border-destructive/40 bg-destructive/5 px-3 py-2 text-sm text-destructive" data-testid="delete-refused">
            <AlertTriangleIcon className="mt-0.5 size-4 shrink-0" aria-hidden="true" />
            {errorMessage(remove.error)}
          </p>
        )}
        <AlertDialogFooter>
          <AlertDialogCancel>{t("common.cancel")}</AlertDialogCancel>
          <Button variant="destructive" disabled={!model || typed !== model.slug || remove.isPending} onClick={() => model && remove.mutate(model)}>
            {remove.isPending && <Loader2Icon className="animate-spin" />}
            {t("common.delete")}
          </Button>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
