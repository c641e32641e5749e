// Drag to reorder (dnd-kit), by pointer and by keyboard (Space or Enter on the handle, the
// arrows, Space or Enter again; Escape cancels), with what it does said to screen readers in the
// page's language.
import {
  closestCenter,
  DndContext,
  type DragEndEvent,
  KeyboardSensor,
  type Modifier,
  PointerSensor,
  type UniqueIdentifier,
  useSensor,
  useSensors,
} from "@dnd-kit/core";
import { SortableContext, sortableKeyboardCoordinates, type SortingStrategy } from "@dnd-kit/sortable";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";

interface Props {
  ids: string[];
  /** What an item is called in the announcements (a field's key). */
  nameOf: (id: string) => string;
  onMove: (from: number, to: number) => void;
  strategy: SortingStrategy;
  /** A vertical list moves its items up and down only. */
  vertical?: boolean;
  children: ReactNode;
}

const upAndDown: Modifier = ({ transform }) => ({ ...transform, x: 0 });

export function SortableList({ ids, nameOf, onMove, strategy, vertical, children }: Props) {
  const { t } = useTranslation();
  const sensors = useSensors(
    // A few pixels before a drag starts, so a click on the handle stays a click.
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const name = (id: UniqueIdentifier) => nameOf(String(id));
  const position = (id: UniqueIdentifier | undefined) => (id === undefined ? 0 : ids.indexOf(String(id)) + 1);
  const onDragEnd = ({ active, over }: DragEndEvent) => {
    if (!over || active.id === over.id) return;
    onMove(ids.indexOf(String(active.id)), ids.indexOf(String(over.id)));
  };
  return (
    <DndContext
      sensors={sensors}
      collisionDetection={closestCenter}
      modifiers={vertical ? [upAndDown] : undefined}
      onDragEnd={onDragEnd}
      accessibility={{
        screenReaderInstructions: { draggable: t("datastore.models.dragInstructions") },
        announcements: {
          onDragStart: ({ active }) => t("datastore.models.dragStart", { name: name(active.id), position: position(active.id), count: ids.length }),
          onDragOver: ({ active, over }) =>
            over ? t("datastore.models.dragOver", { name: name(active.id), position: position(over.id), count: ids.length }) : undefined,
          onDragEnd: ({ active, over }) =>
            over ? t("datastore.models.dragEnd", { name: name(active.id), position: position(over.id), count: ids.length }) : undefined,
          onDragCancel: ({ active }) => t("datastore.models.dragCancel", { name: name(active.id) }),
        },
      }}
    >
      <SortableContext items={ids} strategy={strategy}>
        {children}
      </SortableContext>
    </DndContext>
  );
}
