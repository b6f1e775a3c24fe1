/* Built by test_install.sh with pkg-config --cflags --libs cerelay-ce: the CloudEvents core
 * alone, which must link with libc only. Decodes an event and prints it back canonically. */
#include <stdio.h>
#include <string.h>

#include <cerelay/ce.h>

int main(void)
{
    static const char in[] =
        "{\"type\":\"t\",\"id\":\"1\",\"source\":\"/s\",\"specversion\":\"1.0\"}";
    char err[256];
    ce_event *ev = NULL;
    if (ce_json_decode(in, strlen(in), NULL, &ev, err, sizeof err) != 0) {
        fprintf(stderr, "ce_only: %s\n", err);
        return 1;
    }
    ce_buf out = {0};
    int rc = ce_json_encode(ev, 0, &out, err, sizeof err);
    if (rc == 0)
        printf("%.*s\n", (int)out.len, out.ptr);
    ce_buf_free(&out);
    ce_event_destroy(ev);
    return rc ? 1 : 0;
}
