/*
 * crashy: a native plugin for m3m's tests and for trying the ABI out. It echoes, adds, fails,
 * sleeps (to show that a slow call does not freeze the service) and, when asked, crashes with a
 * segfault or abort(), to show that only the calling service's worker dies. Never install it on
 * a server that matters.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "m3m_plugin.h"

static const char MANIFEST[] =
    "{\"name\": \"crashy\", \"version\": \"0.1.0\", \"description\": \"Test plugin: echo, add, fail, sleep, crash on demand\","
    " \"functions\": ["
    "  {\"name\": \"echo\", \"description\": \"The arguments, as an array\", \"args\": [{\"name\": \"values\", \"type\": \"any\"}],"
    "   \"returns\": {\"type\": \"any[]\"}, \"typescript\": \"echo(...values: any[]): Promise<any[]>;\"},"
    "  {\"name\": \"add\", \"description\": \"a + b\", \"args\": [{\"name\": \"a\", \"type\": \"number\"}, {\"name\": \"b\", \"type\": \"number\"}],"
    "   \"returns\": {\"type\": \"number\"}, \"typescript\": \"add(a: number, b: number): Promise<number>;\"},"
    "  {\"name\": \"fail\", \"description\": \"Always fails with an error message\", \"args\": [],"
    "   \"returns\": {\"type\": \"never\"}, \"typescript\": \"fail(): Promise<never>;\"},"
    "  {\"name\": \"sleep\", \"description\": \"Blocks its thread for ms milliseconds\", \"args\": [{\"name\": \"ms\", \"type\": \"number\"}],"
    "   \"returns\": {\"type\": \"number\"}, \"typescript\": \"sleep(ms: number): Promise<number>;\"},"
    "  {\"name\": \"crash\", \"description\": \"Kills the process: 'segv' (a null write) or 'abort'\","
    "   \"args\": [{\"name\": \"how\", \"type\": \"'segv' | 'abort'\"}], \"returns\": {\"type\": \"never\"},"
    "   \"typescript\": \"crash(how: 'segv' | 'abort'): Promise<never>;\"}"
    " ]}";

int m3m_plugin_abi_version(void) { return M3M_PLUGIN_ABI_VERSION; }

const char *m3m_plugin_manifest(void) { return MANIFEST; }

void m3m_plugin_free(void *ptr) { free(ptr); }

static char *copy(const char *value) {
    char *out = malloc(strlen(value) + 1);
    if (out) strcpy(out, value);
    return out;
}

int m3m_plugin_call(const char *name, const char *json_in, char **json_out) {
    if (strcmp(name, "echo") == 0) {
        *json_out = copy(json_in);
        return 0;
    }
    if (strcmp(name, "add") == 0) {
        double a, b;
        if (sscanf(json_in, " [ %lf , %lf ]", &a, &b) != 2) {
            *json_out = copy("add takes two numbers");
            return 1;
        }
        char result[64];
        snprintf(result, sizeof result, "%.17g", a + b);
        *json_out = copy(result);
        return 0;
    }
    if (strcmp(name, "sleep") == 0) {
        double ms = 0;
        sscanf(json_in, " [ %lf", &ms);
        struct timespec pause = {(time_t)(ms / 1000), (long)((ms - (time_t)(ms / 1000) * 1000) * 1e6)};
        nanosleep(&pause, NULL);
        char result[64];
        snprintf(result, sizeof result, "%.17g", ms);
        *json_out = copy(result);
        return 0;
    }
    if (strcmp(name, "crash") == 0) {
        if (strstr(json_in, "abort")) abort();
        volatile int *nowhere = NULL;
        *nowhere = 1; /* SIGSEGV */
    }
    *json_out = strcmp(name, "fail") == 0 ? copy("crashy failed on purpose") : NULL;
    return 1;
}
