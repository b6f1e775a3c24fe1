/* The relay configuration's schema tables (config_schema.c), shared with config.c. */
#ifndef CER_RELAY_CONFIG_SCHEMA_H
#define CER_RELAY_CONFIG_SCHEMA_H

#include "relay/yaml_schema.h"

/* The top level: describes cer_config. */
extern const cer_yschema cer__config_schema;
/* Enum names, for messages. */
extern const cer_yenum cer__config_bindings[];
extern const cer_yenum cer__config_acks[];
extern const cer_yenum cer__config_mechanisms[];

#endif
