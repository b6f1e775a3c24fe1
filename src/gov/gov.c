/* Governance library version marker (the masking and policy modules are mask*.c and
 * policy*.c). */
#include "gov/gov.h"

const char *cer_gov_version(void)
{
    return "1";
}
