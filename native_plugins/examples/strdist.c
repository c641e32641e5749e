/*
 * strdist: string distances for services, as $strdist.levenshtein(a, b) and
 * $strdist.similarity(a, b). Counted in Unicode code points, not bytes or UTF-16 units, so
 * "ёж" and "еж" are one edit apart. An example of m3m's native plugin ABI (m3m_plugin.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m3m_plugin.h"

#define MAX_POINTS 100000 /* per string: the distance table is one row of this */

static const char MANIFEST[] =
    "{\"name\": \"strdist\", \"version\": \"1.0.0\", \"thread_safe\": true,"
    " \"description\": \"String distances in Unicode code points\","
    " \"functions\": ["
    "  {\"name\": \"levenshtein\", \"description\": \"Edits (insert, delete, replace one character) that turn a into b\","
    "   \"args\": [{\"name\": \"a\", \"type\": \"string\"}, {\"name\": \"b\", \"type\": \"string\"}],"
    "   \"returns\": {\"type\": \"number\", \"description\": \"0 when equal\"},"
    "   \"typescript\": \"levenshtein(a: string, b: string): Promise<number>;\"},"
    "  {\"name\": \"similarity\", \"description\": \"1 - levenshtein / the longer length: 1 for equal strings, 0 for nothing in common\","
    "   \"args\": [{\"name\": \"a\", \"type\": \"string\"}, {\"name\": \"b\", \"type\": \"string\"}],"
    "   \"returns\": {\"type\": \"number\", \"description\": \"from 0 to 1\"},"
    "   \"typescript\": \"similarity(a: string, b: string): Promise<number>;\"}"
    " ]}";

int m3m_plugin_abi_version(void) { return M3M_PLUGIN_ABI_VERSION; }

const char *m3m_plugin_manifest(void) { return MANIFEST; }

void m3m_plugin_free(void *ptr) { free(ptr); }

static char *text(const char *message) {
    char *out = malloc(strlen(message) + 1);
    if (out) strcpy(out, message);
    return out;
}

static const char *skip_space(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

static int hex4(const char *p, unsigned *value) {
    *value = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        *value <<= 4;
        if (c >= '0' && c <= '9') *value |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') *value |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') *value |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    return 0;
}

/* One UTF-8 sequence at *p as a code point; advances *p. */
static unsigned utf8_point(const unsigned char **p) {
    const unsigned char *s = *p;
    unsigned c = s[0];
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    unsigned point = extra == 3 ? c & 0x07 : extra == 2 ? c & 0x0F : extra == 1 ? c & 0x1F : c;
    s++;
    for (int i = 0; i < extra && (*s & 0xC0) == 0x80; i++, s++) point = (point << 6) | (*s & 0x3F);
    *p = s;
    return point;
}

/* A JSON string at p (after its opening quote) as code points; returns the text after the
 * closing quote, or NULL when it is not a JSON string or is too long. */
static const char *json_string(const char *p, unsigned *points, size_t *count) {
    *count = 0;
    while (*p && *p != '"') {
        unsigned point;
        if (*p == '\\') {
            p++;
            switch (*p) {
            case '"': point = '"'; break;
            case '\\': point = '\\'; break;
            case '/': point = '/'; break;
            case 'b': point = '\b'; break;
            case 'f': point = '\f'; break;
            case 'n': point = '\n'; break;
            case 'r': point = '\r'; break;
            case 't': point = '\t'; break;
            case 'u':
                if (hex4(p + 1, &point)) return NULL;
                p += 4;
                if (point >= 0xD800 && point < 0xDC00 && p[1] == '\\' && p[2] == 'u') {
                    unsigned low;
                    if (hex4(p + 3, &low)) return NULL;
                    if (low >= 0xDC00 && low < 0xE000) {
                        point = 0x10000 + ((point - 0xD800) << 10) + (low - 0xDC00);
                        p += 6;
                    }
                }
                break;
            default: return NULL;
            }
            p++;
        } else {
            point = utf8_point((const unsigned char **)&p);
        }
        if (*count >= MAX_POINTS) return NULL;
        points[(*count)++] = point;
    }
    return *p == '"' ? p + 1 : NULL;
}

/* The two strings of `["a", "b"]`; 0 on success. */
static int two_strings(const char *json, unsigned *a, size_t *na, unsigned *b, size_t *nb) {
    const char *p = skip_space(json);
    if (*p++ != '[') return -1;
    p = skip_space(p);
    if (*p++ != '"' || !(p = json_string(p, a, na))) return -1;
    p = skip_space(p);
    if (*p++ != ',') return -1;
    p = skip_space(p);
    if (*p++ != '"' || !(p = json_string(p, b, nb))) return -1;
    p = skip_space(p);
    return *p == ']' ? 0 : -1;
}

static size_t levenshtein(const unsigned *a, size_t na, const unsigned *b, size_t nb, size_t *row) {
    for (size_t j = 0; j <= nb; j++) row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t above = row[j];
            size_t best = diagonal + (a[i - 1] != b[j - 1]);
            if (above + 1 < best) best = above + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[nb];
}

int m3m_plugin_call(const char *name, const char *json_in, char **json_out) {
    int similarity = strcmp(name, "similarity") == 0;
    if (!similarity && strcmp(name, "levenshtein") != 0) {
        *json_out = text("no such function");
        return 1;
    }
    size_t length = strlen(json_in) + 1; /* a string has no more code points than bytes */
    if (length > MAX_POINTS) length = MAX_POINTS;
    unsigned *a = malloc(length * sizeof *a), *b = malloc(length * sizeof *b);
    size_t *row = malloc((length + 1) * sizeof *row);
    size_t na, nb;
    int status = 0;
    if (!a || !b || !row) {
        *json_out = text("out of memory");
        status = 1;
    } else if (two_strings(json_in, a, &na, b, &nb)) {
        *json_out = text("expected two strings (of at most 100000 characters each)");
        status = 1;
    } else {
        size_t distance = levenshtein(a, na, b, nb, row);
        char result[64];
        if (similarity) {
            size_t longer = na > nb ? na : nb;
            snprintf(result, sizeof result, "%.6f", longer ? 1.0 - (double)distance / (double)longer : 1.0);
        } else {
            snprintf(result, sizeof result, "%zu", distance);
        }
        *json_out = text(result);
    }
    free(a);
    free(b);
    free(row);
    return status;
}
