/* PLACEHOLDER - replaced by the milter daemon (issue 4). */
#include <stdio.h>
int main(void) { fprintf(stderr, "bounce-milter: not built yet\n"); return (1); }
