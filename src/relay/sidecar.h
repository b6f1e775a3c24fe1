/* The CoreSDK sidecar layout (`tenant`, `otel`, `cloud_events`; seed 002) read as a cerelay
 * configuration: a translation of the YAML node tree into cerelay's keys, and a writer of the
 * result as YAML. Internal to cerelay_relay; docs/config.md has the key-by-key table. */
#ifndef CER_RELAY_SIDECAR_H
#define CER_RELAY_SIDECAR_H

#include <stdbool.h>

#include "cerelay/ce.h"
#include "relay/yaml_tree.h"

/* Is `top` (the document's top node, may be NULL) in the sidecar layout: a map with a top-level
 * `cloud_events`, `tenant` or `otel` key? */
bool cer__sidecar_detect(const cer_ynode *top);

/* Build in `arena` the cerelay key tree `top` means: cloud_events.* moved to their cerelay keys,
 * tenant and otel checked and left out, other (native) keys copied. Nodes keep the positions of
 * the text they came from. Problems go to `diag`. Returns 0 (*out set) or CE_ENOMEM. */
int cer__sidecar_translate(const cer_ynode *top, cer_yarena *arena, cer_ydiag *diag,
                           cer_ynode **out);

/* Append the translated tree `root` (of sidecar document `top`) to `out` as YAML that
 * cer_config_load reads, with comments for what has no cerelay key. Returns 0 or CE_ENOMEM. */
int cer__sidecar_write(const cer_ynode *top, const cer_ynode *root, ce_buf *out);

#endif
