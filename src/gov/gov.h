/* Governance at the edge (internal to cerelay): PII masking (gov/mask.h) and the egress
 * policy (gov/policy.h), applied by the relay to every event before routing. */
#ifndef CER_GOV_H
#define CER_GOV_H

const char *cer_gov_version(void);

#endif
