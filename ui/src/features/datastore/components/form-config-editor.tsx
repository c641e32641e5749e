// SCAFFOLD (replaced by the record-form work): the Form tab of the model editor.
import type { FormConfig, Model } from "../api";

export interface FormConfigEditorProps {
  pid: string;
  /** The model as edited so far (its fields may be unsaved). */
  model: Model;
  value: FormConfig;
  onChange: (value: FormConfig) => void;
}

export function FormConfigEditor({ value }: FormConfigEditorProps) {
  return <div data-testid="form-config">{value.order.join(", ")}</div>;
}
