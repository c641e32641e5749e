/*
 * m3m_plugin.h: the C ABI of an m3m native plugin (docs/plugins.md, "Native plugins").
 *
 * A native plugin is a shared library (`*.so`) in the server's plugins directory (setting
 * `native.path`, default ./plugins). A service's worker loads it with cffi (ABI mode: no
 * compiler at load time) and each function of its manifest appears in JS as
 * `$<name>.<function>(...args)`, a Promise. Arguments and results cross as JSON text.
 *
 * TRUST: a plugin is operator-installed code. It runs inside service workers with every right
 * of the m3m process (files, network, memory). m3m contains its crashes (a segfault or an
 * abort() kills only the worker of the service that called it; the supervisor logs the crash
 * with the plugin's name and restarts the worker), nothing more.
 *
 * A library exports these four symbols, with C linkage:
 *
 *   int m3m_plugin_abi_version(void);
 *       Return M3M_PLUGIN_ABI_VERSION as this header defines it. m3m checks it first and skips a
 *       library built against another version of the ABI.
 *
 *   const char *m3m_plugin_manifest(void);
 *       A UTF-8 JSON object describing the plugin. The string is owned by the plugin and must
 *       stay valid while the library is loaded (a static string is usual); m3m does not free it.
 *       {
 *         "name": "strdist",               -- the JS name: $strdist; [a-z][a-z0-9_]{0,31}
 *         "version": "1.0.0",
 *         "description": "What it is for",  -- optional
 *         "thread_safe": false,             -- optional; true lets calls run in parallel threads
 *         "functions": [
 *           {
 *             "name": "levenshtein",        -- [a-zA-Z_][a-zA-Z0-9_]{0,63}
 *             "description": "Edit distance between two strings",
 *             "args": [ { "name": "a", "type": "string", "description": "..." }, ... ],
 *             "returns": { "type": "number", "description": "..." },
 *             "typescript": "levenshtein(a: string, b: string): Promise<number>;"
 *           }
 *         ]
 *       }
 *       `typescript` is the member declaration the editor shows inside `declare const $name`;
 *       it should return a Promise, as every call does.
 *
 *   int m3m_plugin_call(const char *name, const char *json_in, char **json_out);
 *       Run the function `name` (one of the manifest's) with `json_in`, the JSON array of the JS
 *       arguments (UTF-8, NUL-terminated; `[]` for none). Return 0 and set *json_out to the
 *       result as UTF-8 JSON text (one value: a number, a string, an object...), or return
 *       non-zero and set *json_out to a UTF-8 error message (plain text), or to NULL. JS gets
 *       the result parsed, or an Error (code "plugin_error") with the message.
 *       *json_out must be allocated so that m3m_plugin_free can release it (malloc is usual).
 *       Calls run in a thread of the worker, off its event loop: a call that takes a second
 *       delays only its own Promise. Unless the manifest says "thread_safe": true, m3m never runs
 *       two calls of one plugin at once.
 *
 *   void m3m_plugin_free(void *ptr);
 *       Release what m3m_plugin_call put in *json_out (free() if it came from malloc()).
 *
 * A library missing a symbol, with another ABI version, whose manifest is not such JSON, or that
 * is not a loadable ELF file is skipped, with the reason in the server's log, in the run log of
 * the services that would load it, and in GET /api/plugins and `m3m plugins`.
 */
#ifndef M3M_PLUGIN_H
#define M3M_PLUGIN_H

#define M3M_PLUGIN_ABI_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define M3M_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define M3M_PLUGIN_EXPORT
#endif

M3M_PLUGIN_EXPORT int m3m_plugin_abi_version(void);
M3M_PLUGIN_EXPORT const char *m3m_plugin_manifest(void);
M3M_PLUGIN_EXPORT int m3m_plugin_call(const char *name, const char *json_in, char **json_out);
M3M_PLUGIN_EXPORT void m3m_plugin_free(void *ptr);

#ifdef __cplusplus
}
#endif

#endif /* M3M_PLUGIN_H */
