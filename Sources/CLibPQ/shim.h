#ifndef CELERIAC_CLIBPQ_SHIM_H
#define CELERIAC_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#include <stdio.h>

/* Swift 6 cannot touch C's global `stdout` (shared mutable state), so this is done here. */
static inline void celeriac_line_buffer_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

#endif
