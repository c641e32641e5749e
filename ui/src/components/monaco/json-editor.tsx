// A compact Monaco editor for one JSON value (the record form's document/json fields): JSON
// language mode with its worker's markers, the app's theme, a height that follows the text up to
// a limit. Tab leaves it (tabFocusMode), as it leaves any other field of a form. Loaded lazily,
// with the rest of Monaco, by features/datastore/components/form-json.tsx.
import { useEffect, useImperativeHandle, useLayoutEffect, useRef, useState } from "react";
import type * as React from "react";
import { monaco } from "./monaco";
import { useAppTheme } from "./editors";

export interface JsonEditorHandle {
  focus: () => void;
  /** Monaco's Format Document (the JSON service's formatter). */
  format: () => void;
}

export interface JsonEditorProps {
  value: string;
  onChange: (value: string) => void;
  onBlur?: () => void;
  /** The input's accessible name and its ties to the form's label, hint and error. */
  label: string;
  id: string;
  labelledBy?: string;
  describedBy?: string;
  invalid: boolean;
  required?: boolean;
  readOnly?: boolean;
  minHeight?: number;
  maxHeight?: number;
  handle?: React.Ref<JsonEditorHandle>;
}

let count = 0;

export default function JsonEditor({
  value,
  onChange,
  onBlur,
  label,
  id,
  labelledBy,
  describedBy,
  invalid,
  required = false,
  readOnly = false,
  minHeight = 76,
  maxHeight = 320,
  handle,
}: JsonEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const handlers = useRef({ onChange, onBlur });
  handlers.current = { onChange, onBlur };
  const outside = useRef(false); // a value set from the props, not typed: not reported back
  const [height, setHeight] = useState(minHeight);
  useAppTheme();

  useEffect(() => {
    const model = monaco.editor.createModel(value, "json", monaco.Uri.parse(`inmemory://m3m/record-form/field-${++count}.json`));
    const instance = monaco.editor.create(host.current!, {
      model,
      automaticLayout: true,
      fontSize: 13,
      tabSize: 2,
      // The textarea input (not EditContext): a <label for> focuses it, as it does any textarea.
      editContext: false,
      tabFocusMode: true, // Tab and Shift+Tab move to the next and previous field
      ariaLabel: label,
      ariaRequired: required,
      readOnly,
      minimap: { enabled: false },
      lineNumbers: "on",
      lineNumbersMinChars: 2,
      lineDecorationsWidth: 6,
      glyphMargin: false,
      folding: true,
      wordWrap: "on",
      wrappingIndent: "indent",
      scrollBeyondLastLine: false,
      overviewRulerLanes: 0,
      hideCursorInOverviewRuler: true,
      overviewRulerBorder: false,
      // The wheel scrolls the sheet unless the editor itself has more to show.
      scrollbar: { alwaysConsumeMouseWheel: false, verticalScrollbarSize: 10, horizontalScrollbarSize: 10 },
      padding: { top: 6, bottom: 6 },
      fixedOverflowWidgets: true,
      renderLineHighlight: "none",
      renderFinalNewline: "on", // "dimmed" draws the last line number below the contrast ratio (axe)
      quickSuggestions: false, // no schema: nothing worth suggesting
      contextmenu: false,
    });
    editor.current = instance;
    const fit = () => setHeight(Math.min(maxHeight, Math.max(minHeight, instance.getContentHeight())));
    fit();
    const listeners = [
      instance.onDidContentSizeChange(fit),
      instance.onDidChangeModelContent(() => {
        if (!outside.current) handlers.current.onChange(instance.getValue());
      }),
      instance.onDidBlurEditorText(() => handlers.current.onBlur?.()),
    ];
    return () => {
      for (const listener of listeners) listener.dispose();
      instance.dispose();
      model.dispose();
      editor.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // A value from outside (the form reset to what the server stored): the editor takes it. While
  // typing, the value rendered is the one the editor reported, so nothing is replaced.
  useLayoutEffect(() => {
    const instance = editor.current;
    if (!instance || instance.getValue() === value) return;
    outside.current = true;
    try {
      instance.setValue(value);
    } finally {
      outside.current = false;
    }
  }, [value]);

  useEffect(() => editor.current?.updateOptions({ readOnly, ariaLabel: label, ariaRequired: required }), [readOnly, label, required]);

  // Monaco's input gets the form's id (the label's `for`), the hint and error, the invalid state.
  useEffect(() => {
    const input = host.current?.querySelector("textarea");
    if (!input) return;
    input.id = id;
    const set = (name: string, on: string | undefined) => (on ? input.setAttribute(name, on) : input.removeAttribute(name));
    set("aria-labelledby", labelledBy);
    set("aria-describedby", describedBy);
    set("aria-invalid", invalid ? "true" : "false");
  }, [id, labelledBy, describedBy, invalid]);

  useImperativeHandle(
    handle,
    () => ({
      focus: () => editor.current?.focus(),
      format: () => {
        void editor.current?.getAction("editor.action.formatDocument")?.run();
      },
    }),
    [],
  );

  return <div ref={host} style={{ height }} className="w-full" data-testid="json-editor" />;
}
