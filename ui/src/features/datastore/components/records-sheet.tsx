// The record form in a sheet at the right edge (a Radix dialog placed as a side panel): a row's
// record to edit, or an empty form for a new one. The form itself is record-form.tsx.
import { useTranslation } from "react-i18next";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import type { DataRecord, Model } from "../api";
import { RecordForm } from "./record-form";

interface Props {
  pid: string;
  model: Model;
  /** null: closed; {}: a new record; {record}: that record. */
  editing: { record?: DataRecord } | null;
  onClose: () => void;
  onSaved: (record: DataRecord) => void;
}

export function RecordSheet({ pid, model, editing, onClose, onSaved }: Props) {
  const { t } = useTranslation();
  const record = editing?.record;
  return (
    <Dialog open={editing !== null} onOpenChange={(open) => !open && onClose()}>
      <DialogContent
        data-testid="record-sheet"
        className="top-0 right-0 left-auto flex h-dvh max-h-dvh overflow-hidden w-full max-w-full translate-x-0 translate-y-0 flex-col gap-4 rounded-none border-y-0 border-r-0 sm:max-w-xl"
      >
        <DialogHeader className="pr-8">
          <DialogTitle>{record ? t("datastore.records.editTitle", { name: model.name }) : t("datastore.records.newTitle", { name: model.name })}</DialogTitle>
          <DialogDescription>
            {record ? (
              <>
                {t("datastore.records.editText")} <code className="text-xs">{record.id}</code>
              </>
            ) : (
              t("datastore.records.newText")
            )}
          </DialogDescription>
        </DialogHeader>
        {/* Only this part scrolls (the header stays): it reaches the sheet's edges, so the controls' focus
            and error rings are not cut off, and it is the containing block of the form's absolutely placed
            parts (the selects' hidden native inputs), which would otherwise make the sheet itself scroll. */}
        <div className="relative -mx-6 -mb-6 min-h-0 flex-1 overflow-y-auto px-6 pb-6">
          {editing !== null && (
            <RecordForm
              key={editing.record?.id ?? "new"}
              pid={pid}
              model={model}
              record={editing.record}
              onSaved={onSaved}
              onCancel={onClose}
            />
          )}
        </div>
      </DialogContent>
    </Dialog>
  );
}
