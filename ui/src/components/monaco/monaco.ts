// Monaco from the monaco-editor package, bundled by Vite with its workers (never a CDN). Only the
// editor core, JavaScript with the TypeScript language service, and JSON (the record form's
// document/json fields) are imported: this module and everything it pulls in are the `monaco`
// chunk, loaded by the pages that show an editor.
import * as monaco from "monaco-editor/editor/editor.api";
import "monaco-editor/languages/definitions/javascript/register";
import "monaco-editor/features/format/register"; // Format Document (format on save)
import { javascriptDefaults, ScriptTarget } from "monaco-editor/languages/features/typescript/register";
import { jsonDefaults } from "monaco-editor/languages/features/json/register";
import EditorWorker from "monaco-editor/editor/editor.worker?worker";
import JsonWorker from "monaco-editor/languages/features/json/json.worker?worker";
import TsWorker from "monaco-editor/languages/features/typescript/ts.worker?worker";

declare global {
  interface Window {
    /** The editor pages expose Monaco, so tests and browser tools can read models and markers. */
    monaco?: typeof monaco;
  }
}

// Workers come from this origin (the CSP's worker-src 'self'), built by Vite from the package.
self.MonacoEnvironment = {
  getWorker: (_id: string, label: string) =>
    label === "typescript" || label === "javascript" ? new TsWorker() : label === "json" ? new JsonWorker() : new EditorWorker(),
};

// JSON as JSON.parse reads it (what the record form checks and sends): no comments, no trailing
// commas, no schema fetched from anywhere.
jsonDefaults.setDiagnosticsOptions({ validate: true, allowComments: false, comments: "error", trailingCommas: "error", schemas: [], enableSchemaRequest: false });

// A service is plain JavaScript checked as TypeScript would: ES2022 without the DOM (a service has
// no window or fetch), with the project's `$` APIs as an extra lib (setTypings).
javascriptDefaults.setCompilerOptions({
  allowJs: true,
  checkJs: true,
  allowNonTsExtensions: true,
  target: ScriptTarget.ESNext, // the enum stops at ES2020; lib below says what exists
  lib: ["es2022"],
  noEmit: true,
  strict: false,
});
javascriptDefaults.setDiagnosticsOptions({ noSemanticValidation: false, noSyntaxValidation: false });
javascriptDefaults.setEagerModelSync(true);

const TYPINGS_URI = "file:///m3m/typings.d.ts";
let typings = "";

/** The project's declarations of every `$` API; replaced when they change (models, plugins). */
export function setTypings(text: string) {
  if (text === typings) return;
  typings = text;
  javascriptDefaults.setExtraLibs([{ content: text, filePath: TYPINGS_URI }]);
}

window.monaco = monaco;

export { monaco };
