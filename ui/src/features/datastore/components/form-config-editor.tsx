// The Form tab of the model editor: the fields' order (drag, or the keyboard: space, arrows,
// space), which are hidden, the widget of each; beside it the form itself as it will look.
import { closestCenter, DndContext, type DragEndEvent, KeyboardSensor, PointerSensor, useSensor, useSensors } from "@dnd-kit/core";
import { arrayMove, SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { GripVerticalIcon } from "lucide-react";
import { useId } from "react";
import { useTranslation } from "react-i18next";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Switch } from "@/components/ui/switch";
import { cn } from "@/lib/utils";
import { type FormConfig, type Model, type ModelField, WIDGETS } from "../api";
import { labelOf, orderedFields, type Widget, widgetOf } from "./form-values";
import { RecordForm } from "./record-form";

export interface FormConfigEditorProps {
  pid: string;
  /** The model as edited so far (its fields may be unsaved). */
  model: Model;
  value: FormConfig;
  onChange: (value: FormConfig) => void;
}

/**
 * A form config that names only the model's fields: every field in `order`, `hidden` and
 * `widgets` of existing fields only, a widget only where it is not the type's default (the
 * server refuses names that are no fields, `form.order.3`).
 */
export function normalizeFormConfig(fields: ModelField[], form: FormConfig): FormConfig {
  const ordered = orderedFields(fields, form);
  const keys = new Set(ordered.map((field) => field.key));
  const widgets: Record<string, string> = {};
  for (const field of ordered) {
    const widget = widgetOf(field, form);
    if (widget !== WIDGETS[field.type][0]) widgets[field.key] = widget;
  }
  return {
    order: ordered.map((field) => field.key),
    hidden: [...new Set(form.hidden)].filter((key) => keys.has(key)),
    widgets,
  };
}

export function FormConfigEditor({ pid, model, value, onChange }: FormConfigEditorProps) {
  const { t } = useTranslation();
  const headingId = useId();
  const fields = orderedFields(model.fields, value);
  const keys = fields.map((field) => field.key);
  const hidden = new Set(value.hidden);
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const emit = (next: Partial<FormConfig>) => onChange(normalizeFormConfig(model.fields, { ...value, ...next }));
  const labelFor = (key: unknown) => {
    const field = fields.find((one) => one.key === key);
    return field ? labelOf(field) : String(key);
  };
  const position = (key: unknown) => keys.indexOf(String(key)) + 1;

  const onDragEnd = ({ active, over }: DragEndEvent) => {
    if (!over || active.id === over.id) return;
    emit({ order: arrayMove(keys, keys.indexOf(String(active.id)), keys.indexOf(String(over.id))) });
  };

  return (
    <div className="grid items-start gap-6 lg:grid-cols-2">
      <section aria-labelledby={headingId} className="grid gap-3">
        <div className="space-y-1">
          <h2 id={headingId} className="text-base font-semibold">
            {t("datastore.form.config.title")}
          </h2>
          <p className="text-sm text-muted-foreground">{t("datastore.form.config.description")}</p>
        </div>
        {fields.length === 0 ? (
          <p className="rounded-md border border-dashed p-6 text-center text-sm text-muted-foreground">{t("datastore.form.noFields")}</p>
        ) : (
          <DndContext
            sensors={sensors}
            collisionDetection={closestCenter}
            onDragEnd={onDragEnd}
            accessibility={{
              screenReaderInstructions: { draggable: t("datastore.form.config.instructions") },
              announcements: {
                onDragStart: ({ active }) => t("datastore.form.config.pickedUp", { label: labelFor(active.id), position: position(active.id), count: keys.length }),
                onDragOver: ({ active, over }) =>
                  over ? t("datastore.form.config.movedOver", { label: labelFor(active.id), position: position(over.id), count: keys.length }) : undefined,
                onDragEnd: ({ active, over }) =>
                  over ? t("datastore.form.config.dropped", { label: labelFor(active.id), position: position(over.id), count: keys.length }) : undefined,
                onDragCancel: ({ active }) => t("datastore.form.config.cancelled", { label: labelFor(active.id) }),
              },
            }}
          >
            <SortableContext items={keys} strategy={verticalListSortingStrategy}>
              <ul className="grid gap-1.5" aria-label={t("datastore.form.config.fields")}>
                {fields.map((field) => (
                  <FieldRow
                    key={field.key}
                    field={field}
                    widget={widgetOf(field, value)}
                    hidden={hidden.has(field.key)}
                    onWidget={(widget) => emit({ widgets: { ...value.widgets, [field.key]: widget } })}
                    onHidden={(hide) => emit({ hidden: hide ? [...value.hidden, field.key] : value.hidden.filter((key) => key !== field.key) })}
                  />
                ))}
              </ul>
            </SortableContext>
          </DndContext>
        )}
      </section>
      <section aria-label={t("datastore.form.config.preview")} className="grid gap-3 lg:sticky lg:top-4">
        <div className="space-y-1">
          <h2 className="text-base font-semibold">{t("datastore.form.config.preview")}</h2>
          <p className="text-sm text-muted-foreground">{t("datastore.form.config.previewText")}</p>
        </div>
        <div className="rounded-xl border bg-card p-4" data-testid="form-preview">
          <RecordForm pid={pid} model={{ ...model, form: value }} preview />
        </div>
      </section>
    </div>
  );
}

function FieldRow({
  field,
  widget,
  hidden,
  onWidget,
  onHidden,
}: {
  field: ModelField;
  widget: string;
  hidden: boolean;
  onWidget: (widget: string) => void;
  onHidden: (hidden: boolean) => void;
}) {
  const { t } = useTranslation();
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({ id: field.key });
  const label = labelOf(field);
  const widgets = WIDGETS[field.type];
  return (
    <li
      ref={setNodeRef}
      style={{ transform: CSS.Translate.toString(transform), transition }}
      className={cn("flex items-center gap-2 rounded-md border bg-card p-1.5 pr-2", isDragging && "relative z-10 shadow-lg", hidden && "bg-muted/40")}
      data-testid={`form-config-${field.key}`}
    >
      <button
        type="button"
        ref={setActivatorNodeRef}
        {...attributes}
        {...listeners}
        aria-label={t("datastore.form.config.drag", { label })}
        className="flex size-8 shrink-0 cursor-grab touch-none items-center justify-center rounded-sm text-muted-foreground outline-none hover:bg-accent focus-visible:ring-[3px] focus-visible:ring-ring/50 active:cursor-grabbing"
      >
        <GripVerticalIcon className="size-4" />
      </button>
      <div className={cn("min-w-0 flex-1", hidden && "text-muted-foreground")}>
        <div className="truncate text-sm font-medium">{label}</div>
        <div className="truncate font-mono text-xs text-muted-foreground">
          {field.key} · {field.type}
        </div>
      </div>
      <Select value={widget} onValueChange={onWidget} disabled={widgets.length < 2}>
        <SelectTrigger className="h-8 w-36" aria-label={t("datastore.form.config.widgetOf", { label })}>
          <SelectValue />
        </SelectTrigger>
        <SelectContent>
          {widgets.map((one) => (
            <SelectItem key={one} value={one}>
              {t(`datastore.form.widgets.${one as Widget}`)}
            </SelectItem>
          ))}
        </SelectContent>
      </Select>
      <Switch checked={!hidden} onCheckedChange={(shown) => onHidden(!shown)} aria-label={t("datastore.form.config.showNamed", { label })} />
    </li>
  );
}
