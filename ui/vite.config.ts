import { fileURLToPath, URL } from "node:url";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` serves the UI with hot reload and sends the server's paths to a running m3m
// (M3M_URL, default http://127.0.0.1:3000), so the browser sees one origin as in production.
const server = process.env.M3M_URL ?? "http://127.0.0.1:3000";
const proxied = { target: server, changeOrigin: false };

// What only the goals pages and the runtime panel's metrics need: their components, recharts and
// its dependencies (the metrics panel is loaded lazily, as the goals pages are).
const CHARTS =
  /src[\\/]features[\\/](goals[\\/]components[\\/]|runtime[\\/]components[\\/]metrics-panel)|node_modules[\\/](recharts|d3-[a-z-]+|victory-vendor|decimal\.js-light|es-toolkit|@reduxjs|redux|redux-thunk|immer|reselect|eventemitter3|internmap|react-redux)[\\/]/;

// Monaco (the code and diff editors, the record form's JSON fields): the package and the
// components that import it; only the pages with an editor load it, through
// components/code-editor.tsx, and a record form with a JSON field, through form-json.tsx.
const MONACO = /node_modules[\\/]monaco-editor[\\/]|src[\\/]components[\\/]monaco[\\/]/;

// TipTap and ProseMirror (the rich text and markdown widgets of the record form), loaded by
// form-rich-text.tsx on first use: only a form with such a field loads them.
const RICHTEXT =
  /node_modules[\\/](@tiptap|prosemirror-[a-z-]+|orderedmap|rope-sequence|w3c-keyname|linkifyjs|marked)[\\/]|src[\\/]features[\\/]datastore[\\/]components[\\/]form-rich-text/;

// The data store views (models, records, the record form) and dnd-kit, which only they use.
const DATASTORE = /src[\\/]features[\\/]datastore[\\/](?!components[\\/]form-rich-text)|node_modules[\\/]@dnd-kit[\\/]/;

export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  server: {
    port: 5173,
    proxy: { "/api": proxied, "^/bot-.*": proxied, "/files": proxied },
  },
  build: {
    outDir: "dist",
    assetsDir: "assets", // kernel/ui.py caches this folder for a year: its names are content hashes
    sourcemap: false,
    chunkSizeWarningLimit: 800, // the charts chunk (goals pages only) is ~460 KB minified
    rolldownOptions: {
      output: {
        // Three chunks instead of dozens: what the sign-in page needs, the pages behind sign-in,
        // and the charts. Every file is a request, and dozens of small ones were most of a cold
        // load. The heavy editors of [10] get their own group the same way.
        codeSplitting: {
          includeDependenciesRecursively: false, // a group takes its modules, not everything they import
          groups: [
            { name: "initial", tags: ["$initial"], priority: 3 },
            { name: "charts", test: CHARTS, priority: 2 },
            { name: "monaco", test: MONACO, priority: 2 },
            { name: "richtext", test: RICHTEXT, priority: 2 },
            { name: "datastore", test: DATASTORE, priority: 2 },
            { name: "app", priority: 1 },
          ],
        },
      },
    },
  },
});
