// The Monaco editors as React components: one code editor (a model per path, Ctrl+S, the app's
// theme) and a diff editor. Loaded lazily through components/code-editor.tsx.
import { useEffect, useRef } from "react";
import { monaco } from "./monaco";

export interface CodeEditorProps {
  /** The model's URI path, e.g. /projects/<id>/branches/develop.js: one model per document. */
  path: string;
  /** The text the document opens with (read when it is mounted or the path changes). */
  value: string;
  onChange?: (value: string) => void;
  onSave?: () => void;
  readOnly?: boolean;
  label: string;
  minimap?: boolean;
}

// vs-dark's comments (#6A9955 on #1E1E1E) are under the 4.5:1 contrast the app keeps (axe).
// Its diff highlights are softened for the same reason (text over them stays readable).
monaco.editor.defineTheme("m3m-dark", {
  base: "vs-dark",
  inherit: true,
  rules: [{ token: "comment", foreground: "8FBF7A" }],
  colors: {
    "diffEditor.insertedTextBackground": "#9ccc2c14",
    "diffEditor.insertedLineBackground": "#9bb95514",
    "diffEditor.removedTextBackground": "#ff000014",
    "diffEditor.removedLineBackground": "#ff000010",
  },
});
monaco.editor.defineTheme("m3m-light", { base: "vs", inherit: true, rules: [], colors: {} });

/** Monaco's theme follows the `dark` class on <html> (lib/theme.ts sets it). */
export function useAppTheme() {
  useEffect(() => {
    const apply = () => monaco.editor.setTheme(document.documentElement.classList.contains("dark") ? "m3m-dark" : "m3m-light");
    apply();
    const observer = new MutationObserver(apply);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
    return () => observer.disconnect();
  }, []);
}

const OPTIONS: monaco.editor.IStandaloneEditorConstructionOptions = {
  automaticLayout: true,
  fontSize: 13,
  tabSize: 2,
  scrollBeyondLastLine: false,
  fixedOverflowWidgets: true,
  renderLineHighlight: "line",
  renderFinalNewline: "on", // "dimmed" draws the last line number below the contrast ratio (axe)
};

function modelFor(path: string, value: string): monaco.editor.ITextModel {
  const uri = monaco.Uri.file(path);
  const model = monaco.editor.getModel(uri) ?? monaco.editor.createModel(value, "javascript", uri);
  if (model.getValue() !== value) model.setValue(value);
  return model;
}

export function CodeEditor({ path, value, onChange, onSave, readOnly = false, label, minimap = true }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const handlers = useRef({ onChange, onSave });
  handlers.current = { onChange, onSave };
  useAppTheme();

  useEffect(() => {
    const instance = monaco.editor.create(host.current!, { ...OPTIONS, ariaLabel: label, readOnly, minimap: { enabled: minimap } });
    editor.current = instance;
    instance.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => handlers.current.onSave?.());
    const listener = instance.onDidChangeModelContent(() => handlers.current.onChange?.(instance.getValue()));
    return () => {
      listener.dispose();
      instance.dispose();
      editor.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // The document: `value` is taken when the path is set (or the editor mounted), never while
  // typing: React's render of an older value would otherwise overwrite newer keystrokes. A parent
  // that replaces the text from outside (a reset) mounts the editor again (a new `key`).
  useEffect(() => {
    const instance = editor.current!;
    const model = modelFor(path, value);
    if (instance.getModel() !== model) instance.setModel(model);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [path]);
  useEffect(() => editor.current?.updateOptions({ readOnly, ariaLabel: label, minimap: { enabled: minimap } }), [readOnly, label, minimap]);

  return <div ref={host} className="h-full min-h-0 w-full" data-testid="code-editor" data-path={path} />;
}

export interface DiffEditorProps {
  left: { path: string; value: string; label: string };
  right: { path: string; value: string; label: string };
}

export function DiffEditor({ left, right }: DiffEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  useAppTheme();
  useEffect(() => {
    const instance = monaco.editor.createDiffEditor(host.current!, {
      ...OPTIONS,
      readOnly: true,
      originalEditable: false,
      originalAriaLabel: left.label,
      modifiedAriaLabel: right.label,
      renderSideBySide: true,
    });
    const original = monaco.editor.createModel(left.value, "javascript", monaco.Uri.file(`${left.path}.diff-left`));
    const modified = monaco.editor.createModel(right.value, "javascript", monaco.Uri.file(`${right.path}.diff-right`));
    instance.setModel({ original, modified });
    // The diff options' aria labels do not reach the inner editors' input (axe: no name).
    instance.getOriginalEditor().updateOptions({ ariaLabel: left.label });
    instance.getModifiedEditor().updateOptions({ ariaLabel: right.label });
    return () => {
      instance.dispose();
      original.dispose();
      modified.dispose();
    };
  }, [left.path, left.value, left.label, right.path, right.value, right.label]);
  return <div ref={host} className="h-full min-h-0 w-full" data-testid="diff-editor" />;
}

export { setTypings } from "./monaco";

/** Monaco's Format Document on the editor showing `path` (the TypeScript service formats
 * JavaScript); the text after it, or null when no editable editor shows that document. */
export async function formatDocument(path: string): Promise<string | null> {
  const instance = monaco.editor.getEditors().find((item) => item.getModel()?.uri.path === monaco.Uri.file(path).path);
  if (!instance || instance.getOption(monaco.editor.EditorOption.readOnly)) return null;
  await instance.getAction("editor.action.formatDocument")?.run();
  return instance.getValue();
}
