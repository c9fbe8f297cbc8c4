#ifndef CELERIAC_CLIBPQ_SHIM_H
#define CELERIAC_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
