/* The labelled PII corpus (tests/gov/corpus/pii.tsv, made by gen_pii.py there): per-detector
 * recall over the positives and false positives over the look-alike classes, printed as a table.
 * Fails below 99% recall for any detector, or on any false positive in a negative class.
 * holdout.tsv (lines written after the detectors were tuned, never used to tune them) is
 * evaluated the same way and printed, for information: it does not fail the test. */
#include <stdlib.h>

#include "gov/mask.h"
#include "harness.h"

enum { MAX_CLASSES = 32 };

typedef struct klass {
    char name[32];
    int lines, fp_lines;
    int fp[CER_MASK_NDETECTORS];
} klass;

/* The corpus writes \n, \t and \\ as escapes so a line holds one text. */
static size_t unescape(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == 'n' || s[i + 1] == 't' || s[i + 1] == '\\')) {
            char c = s[++i];
            s[o++] = c == 'n' ? '\n' : c == 't' ? '\t' : '\\';
        } else {
            s[o++] = s[i];
        }
    }
    return o;
}

static int det_by_name(const char *s, size_t n)
{
    for (int d = 0; d < CER_MASK_NDETECTORS; d++) {
        const char *name = cer_mask_detector_name(d);
        if (strlen(name) == n && memcmp(name, s, n) == 0)
            return d;
    }
    return -1;
}

/* Bit set of the detectors that match somewhere in s[0..n). */
static unsigned scan(const char *s, size_t n)
{
    cer__mask_scan sc;
    cer__mask_hit h;
    unsigned found = 0;
    cer__mask_scan_init(&sc, s, n, CER_CONFIG_DETECT_ALL);
    while (cer__mask_next(&sc, &h))
        found |= 1u << h.det;
    return found;
}

/* Evaluate one corpus file; with `gate`, fail the test on the thresholds. */
static void evaluate(const char *rel, bool gate, int min_lines)
{
    size_t len;
    char *text = cer_test_read_file(cer_test_src_path(rel), &len);
    if (!text)
        return;
    printf("== %s%s\n", rel, gate ? "" : " (held out, for information)");
    int pos[CER_MASK_NDETECTORS] = {0}, hit[CER_MASK_NDETECTORS] = {0};
    int other[CER_MASK_NDETECTORS] = {0}, fp[CER_MASK_NDETECTORS] = {0};
    klass classes[MAX_CLASSES];
    int nclasses = 0, lines = 0, misses = 0;
    memset(classes, 0, sizeof classes);
    for (char *line = text, *next; line < text + len; line = next) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        next = nl ? nl + 1 : text + len;
        size_t ll = (size_t)((nl ? nl : text + len) - line);
        char *tab = memchr(line, '\t', ll);
        if (ll == 0 || line[0] == '#')
            continue;
        if (!tab) {
            cer_test_fail(__FILE__, __LINE__, "line %d: no tab", lines + 1);
            continue;
        }
        lines++;
        size_t label_len = (size_t)(tab - line);
        size_t n = unescape(tab + 1, ll - label_len - 1);
        unsigned found = scan(tab + 1, n);
        if (label_len > 4 && memcmp(line, "neg.", 4) == 0) {
            int c = 0;
            while (c < nclasses && (strlen(classes[c].name) != label_len ||
                                    memcmp(classes[c].name, line, label_len) != 0))
                c++;
            if (c == nclasses) {
                if (nclasses == MAX_CLASSES || label_len >= sizeof classes[0].name) {
                    cer_test_fail(__FILE__, __LINE__, "too many classes");
                    continue;
                }
                memcpy(classes[nclasses++].name, line, label_len);
            }
            classes[c].lines++;
            classes[c].fp_lines += found != 0;
            for (int d = 0; d < CER_MASK_NDETECTORS; d++)
                if (found & (1u << d)) {
                    classes[c].fp[d]++;
                    fp[d]++;
                    printf("  false positive (%s) in %.*s: %.*s\n", cer_mask_detector_name(d),
                           (int)label_len, line, (int)n, tab + 1);
                }
            continue;
        }
        int d = det_by_name(line, label_len);
        if (d < 0) {
            cer_test_fail(__FILE__, __LINE__, "line %d: unknown label %.*s", lines, (int)label_len,
                          line);
            continue;
        }
        pos[d]++;
        if (found & (1u << d))
            hit[d]++;
        else if (misses++ < 40)
            printf("  missed %s: %.*s\n", cer_mask_detector_name(d), (int)n, tab + 1);
        for (int o = 0; o < CER_MASK_NDETECTORS; o++)
            if (o != d && (found & (1u << o)))
                other[o]++;
    }
    printf("\n%d lines\n%-9s %9s %8s %8s %10s %10s\n", lines, "detector", "positives", "found",
           "recall", "neg. FPs", "also-fired");
    int total_pos = 0, total_hit = 0;
    for (int d = 0; d < CER_MASK_NDETECTORS; d++) {
        double recall = pos[d] ? 100.0 * hit[d] / pos[d] : 0;
        printf("%-9s %9d %8d %7.1f%% %10d %10d\n", cer_mask_detector_name(d), pos[d], hit[d],
               recall, fp[d], other[d]);
        total_pos += pos[d];
        total_hit += hit[d];
        if (gate && pos[d] < 40)
            cer_test_fail(__FILE__, __LINE__, "%s: only %d positives", cer_mask_detector_name(d),
                          pos[d]);
        if (gate && hit[d] * 100 < pos[d] * 99)
            cer_test_fail(__FILE__, __LINE__, "%s: recall %.1f%% < 99%%", cer_mask_detector_name(d),
                          recall);
    }
    printf("%-9s %9d %8d %7.1f%%\n\n%-16s %6s %10s\n", "all", total_pos, total_hit,
           total_pos ? 100.0 * total_hit / total_pos : 0, "negative class", "lines", "FP lines");
    for (int c = 0; c < nclasses; c++) {
        printf("%-16s %6d %10d\n", classes[c].name, classes[c].lines, classes[c].fp_lines);
        if (gate && classes[c].fp_lines)
            cer_test_fail(__FILE__, __LINE__, "%s: %d false positives", classes[c].name,
                          classes[c].fp_lines);
    }
    printf("\n");
    CHECK(lines >= min_lines);
    free(text);
}

TEST(corpus_recall_and_false_positives)
{
    evaluate("tests/gov/corpus/pii.tsv", true, 900);
    evaluate("tests/gov/corpus/holdout.tsv", false, 100);
}
