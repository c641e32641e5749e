// SCAFFOLD (replaced by the record-form work): the interface the records page and the form preview use.
import type { DataRecord, Model } from "../api";

export interface RecordFormProps {
  pid: string;
  /** The model (or a draft of it, for the live preview): its fields and its form config decide the controls. */
  model: Model;
  /** The record to edit (PATCH guarded by its revision); none: a new record (POST). */
  record?: DataRecord;
  /** A preview of the form config: controls work, nothing is sent. */
  preview?: boolean;
  onSaved?: (record: DataRecord) => void;
  onCancel?: () => void;
}

export function RecordForm({ model }: RecordFormProps) {
  return <div data-testid="record-form">{model.fields.map((field) => field.key).join(", ")}</div>;
}
