import { fileURLToPath, URL } from "node:url";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` serves the UI with hot reload and sends the server's paths to a running m3m
// (M3M_URL, default http://127.0.0.1:3000), so the browser sees one origin as in production.
const server = process.env.M3M_URL ?? "http://127.0.0.1:3000";
const proxied = { target: server, changeOrigin: false };

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
    chunkSizeWarningLimit: 800, // recharts (goals pages only) is ~460 KB minified,
  },
});
