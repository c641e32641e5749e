// The Fields tab: the model's fields in order (drag to reorder), add one by type, remove one.
import { verticalListSortingStrategy } from "@dnd-kit/sortable";
import { PlusIcon, RowsIcon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState } from "@/components/empty-state";
import { Button } from "@/components/ui/button";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import { FIELD_TYPES, type FieldType, type Model } from "../api";
import { changeField, changeType, type Draft, type DraftErrors, fieldErrors, moveField, newField, removeField } from "./model-draft";
import { FieldCard } from "./model-field-card";
import { FieldTypeIcon } from "./model-field-types";
import { SortableList } from "./model-sortable";

interface Props {
  draft: Draft;
  /** The model as saved: the saved type of each field. */
  saved: Model;
  models: Model[];
  errors: DraftErrors;
  onChange: (draft: Draft, touched?: string) => void;
}

export function FieldsTab({ draft, saved, models, errors, onChange }: Props) {
  const { t } = useTranslation();
  // Saved fields start folded, added ones open; a field with an error is always open.
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [removing, setRemoving] = useState<string | null>(null);
  const savedFields = new Map(saved.fields.map((field) => [field.key, field]));
  const keyOf = (uid: string) => draft.fields.find((entry) => entry.uid === uid)?.field.key ?? uid;

  const add = (type: FieldType) => {
    const entry = newField(draft, type);
    setOpen((current) => new Set(current).add(entry.uid));
    // A new field is a column of the table too (the Table tab takes it out again).
    onChange({ ...draft, fields: [...draft.fields, entry], table: { ...draft.table, columns: [...draft.table.columns, entry.uid] } });
  };
  const remove = (uid: string) => onChange(removeField(draft, uid), uid);
  const removingEntry = draft.fields.find((entry) => entry.uid === removing);

  const addButton = (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="outline">
          <PlusIcon />
          {t("datastore.models.addField")}
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="start" className="grid w-72 grid-cols-2">
        {FIELD_TYPES.map((type) => (
          <DropdownMenuItem key={type} onSelect={() => add(type)}>
            <FieldTypeIcon type={type} />
            {t(`datastore.models.types.${type}`)}
          </DropdownMenuItem>
        ))}
      </DropdownMenuContent>
    </DropdownMenu>
  );

  return (
    <div className="grid gap-3">
      {errors.fields && (
        <p role="alert" className="text-sm text-destructive" data-field-error>
          {errors.fields}
        </p>
      )}
      {draft.fields.length === 0 ? (
        <EmptyState icon={RowsIcon} title={t("datastore.models.noFieldsTitle")} description={t("datastore.models.noFieldsText")} action={addButton} />
      ) : (
        <>
          <SortableList
            ids={draft.fields.map((entry) => entry.uid)}
            nameOf={keyOf}
            strategy={verticalListSortingStrategy}
            vertical
            onMove={(from, to) => onChange(moveField(draft, from, to))}
          >
            <ul className="grid gap-2" aria-label={t("datastore.models.fieldsList")}>
              {draft.fields.map((entry) => {
                const mine = fieldErrors(errors, entry.uid);
                const failed = Object.keys(mine).some((place) => place !== "key");
                return (
                  <FieldCard
                    key={entry.uid}
                    entry={entry}
                    savedType={entry.saved === null ? null : (savedFields.get(entry.saved)?.type ?? null)}
                    models={models}
                    errors={mine}
                    expanded={open.has(entry.uid) || failed}
                    onExpanded={(expanded) =>
                      setOpen((current) => {
                        const next = new Set(current);
                        if (expanded) next.add(entry.uid);
                        else next.delete(entry.uid);
                        return next;
                      })
                    }
                    onChange={(change, extra) => onChange(changeField(draft, entry.uid, change, extra), entry.uid)}
                    onType={(type) => onChange(changeType(draft, entry.uid, type, entry.saved === null ? undefined : savedFields.get(entry.saved)), entry.uid)}
                    onRemove={() => (entry.saved === null ? remove(entry.uid) : setRemoving(entry.uid))}
                  />
                );
              })}
            </ul>
          </SortableList>
          <div>{addButton}</div>
        </>
      )}
      <ConfirmDialog
        open={removing !== null}
        onOpenChange={(next) => !next && setRemoving(null)}
        title={t("datastore.models.removeFieldTitle", { key: removingEntry?.saved ?? "" })}
        description={t("datastore.models.removeFieldText", { key: removingEntry?.saved ?? "" })}
        confirm={t("datastore.models.remove")}
        onConfirm={() => {
          if (removing) remove(removing);
        }}
      />
    </div>
  );
}
