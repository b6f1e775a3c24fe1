/* Tests for src/cli/evin.c, the streaming reader under `validate` and `send --file`: the shape
 * is told from the first bytes, each event is capped on its own, and the result never depends
 * on where the input is split into reads. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#include "evin_transcript.h"

static char *transcript(const char *in, size_t piece, size_t max_event)
{
    ce_buf out;
    ce_buf_init(&out);
    CHECK_EQ_INT(evin_transcript(in, strlen(in), piece, max_event, &out), 0);
    ce_buf_append(&out, "", 1);
    return out.ptr;
}

/* The transcript of `in` fed whole, checked against `want`, and the same for every split. */
static void expect(const char *in, const char *want)
{
    char *whole = transcript(in, (size_t)-1, 0);
    CHECK_EQ_STR(whole, want);
    size_t pieces[] = {1, 2, 3, 5, 7, 13, 64};
    for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++) {
        char *t = transcript(in, pieces[i], 0);
        if (strcmp(t, whole) != 0)
            cer_test_fail(__FILE__, __LINE__, "fed in pieces of %zu:\n%s\nwhole:\n%s", pieces[i], t,
                          whole);
        free(t);
    }
    free(whole);
}

#define EV(id) "{\"specversion\":\"1.0\",\"id\":\"" id "\",\"source\":\"/s\",\"type\":\"t\"}"

TEST(single_event)
{
    expect(EV("a"), "E " EV("a") "\nEND 1 0\n");
    expect("\n  " EV("a") "\n\n", "E " EV("a") "\nEND 1 0\n");
    expect("{\"specversion\":\"1.0\",\"id\":\"a\",,}",
           "I byte 30: expected a member name\nEND 1 0\n");
    expect("{\"specversion\":\"1.0\",\"id\":\"a\"}\n",
           "I event 1: attribute 'source': required attribute missing\nEND 1 0\n");
    /* leading white space counts in byte offsets */
    expect("  {,}", "I byte 3: expected a member name\nEND 1 0\n");
}

TEST(empty_input)
{
    expect("", "END 0 1\n");
    expect(" \n\t\r\n", "END 0 1\n");
    expect("[]", "END 2 0\n");
    expect(" [ \n ] \n", "END 2 0\n");
}

TEST(ndjson)
{
    expect(EV("a") "\n" EV("b") "\n", "E " EV("a") "\nE " EV("b") "\nEND 3 0\n");
    expect(EV("a") "\r\n\r\n" EV("b"), "E " EV("a") "\nE " EV("b") "\nEND 3 0\n");
    expect("{\"id\":1}\n" EV("b") "\n{x\n",
           "I event 1 (line 1): attribute 'id': must be a JSON string, not an integer\n"
           "E " EV("b") "\n"
                        "I event 3 (line 3): byte 1: expected a member name\nEND 3 0\n");
    /* a broken line does not swallow the next one */
    expect(EV("a") "\n{\"specversion\":\"1.0\n" EV("c") "\n",
           "E " EV("a") "\nI event 2 (line 2): byte 15: unterminated string\nE " EV(
               "c") "\nEND 3 0\n");
}

/* A truncated first line does not turn the whole NDJSON input into one broken event. */
TEST(ndjson_broken_first_line)
{
    expect("{\"specversion\":\"1.0\",\"id\":\"a\"\n" EV("b") "\n" EV("c") "\n",
           "I event 1 (line 1): byte 30: unexpected end of input\nE " EV("b") "\nE " EV(
               "c") "\nEND 3 0\n");
    /* alone, it is one broken event */
    expect("{\"specversion\":\"1.0\",\"id\":\"a\"\n",
           "I byte 30: unexpected end of input\nEND 1 0\n");
}

TEST(sequence_of_pretty_events)
{
    expect(
        "{\n \"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"/s\",\"type\":\"t\"\n}\n"
        "{\n \"specversion\":\"1.0\",\n \"id\":\"\"\n}\n",
        "E " EV("a") "\nI event 2 (line 4): attribute 'id': must be a non-empty string\nEND 4 0\n");
}

TEST(batch)
{
    expect("[" EV("a") "," EV("b") "]", "E " EV("a") "\nE " EV("b") "\nEND 2 0\n");
    expect("[\n " EV("a") ",\n {\"specversion\":\"1.0\",\"id\":\"b\",\"source\":\"/s\"}\n]\n",
           "E " EV("a") "\nI event 2: attribute 'type': required attribute missing\nEND 2 0\n");
    expect("[" EV("a") ",{\"x\":[1,2,}]",
           "E " EV("a") "\nI event 2: byte 67: expected a value\n"
                        /* brackets are matched by count, not kind: the element took the ']' */
                        "F byte 69: unexpected end of input: the batch has no ']'\nEND 2 0\n");
    expect("[" EV("a") " x",
           "E " EV("a") "\nF byte 57: expected ',' or ']' after event 1\nEND 2 0\n");
    expect("[" EV("a") ",]", "E " EV("a") "\nF byte 57: expected an event after ','\nEND 2 0\n");
    expect("[" EV("a"), "E " EV("a") "\nF byte 56: unexpected end of input: the batch has no ']'\n"
                                     "END 2 0\n");
    expect("[{\"a\":\"]\"", "F byte 9: unexpected end of input in event 1\nEND 2 0\n");
    expect("[1,\"x\"]", "I event 1: byte 1: an event must be a JSON object\n"
                        "I event 2: byte 3: an event must be a JSON object\nEND 2 0\n");
    expect("[]x", "F byte 2: trailing characters after the batch\nEND 2 0\n");
}

TEST(strings_hide_brackets)
{
    expect("[{\"specversion\":\"1.0\",\"id\":\"]}[{\\\"\",\"source\":\"/s\",\"type\":\"t\"}]",
           "E {\"specversion\":\"1.0\",\"id\":\"]}[{\\\"\",\"source\":\"/s\",\"type\":\"t\"}\n"
           "END 2 0\n");
}

/* Each event is capped on its own; an oversized one is skipped without being held. */
TEST(per_event_limit)
{
    size_t big = 70000;
    char *line = malloc(big + 200);
    int n = snprintf(
        line, 200,
        "{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/s\",\"type\":\"t\",\"data\":\"");
    memset(line + n, 'y', big);
    strcpy(line + n + big, "\"}");
    size_t ll = strlen(line);
    size_t total = 3 * (ll + 1) + 1;
    char *nd = malloc(total);
    snprintf(nd, total, "%s\n%s\n%s\n", EV("a"), line, EV("c"));
    char *t = transcript(nd, 4096, 64 << 10);
    char want[512];
    snprintf(want, sizeof want,
             "E " EV("a") "\nI event 2 (line 2): event is %zu bytes, more than max_event_bytes "
                          "(65536)\nE " EV("c") "\nEND 3 0\n",
             ll);
    CHECK_EQ_STR(t, want);
    free(t);
    /* the same element in a batch */
    snprintf(nd, total, "[%s,%s,%s]", EV("a"), line, EV("c"));
    t = transcript(nd, 1000, 64 << 10);
    snprintf(want, sizeof want,
             "E " EV("a") "\nI event 2: event is %zu bytes, more than max_event_bytes "
                          "(65536)\nE " EV("c") "\nEND 2 0\n",
             ll);
    CHECK_EQ_STR(t, want);
    free(t);
    free(nd);
    free(line);
}
