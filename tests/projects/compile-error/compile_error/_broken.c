#include <Python.h>

/* the defect: a syntax error */
static int broken( {
    return 0
}
