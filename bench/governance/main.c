/* bench_governance driver: the masking benchmark (mask.c), then the policy benchmark
 * (policy.c) when it is linked in (a weak reference: the program builds without it). */
#include <stdio.h>

void bench_mask(void);
__attribute__((weak)) void bench_policy(void);

int main(void)
{
    bench_mask();
    if (bench_policy) {
        printf("\n");
        bench_policy();
    }
    return 0;
}
