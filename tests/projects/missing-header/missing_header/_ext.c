#include <Python.h>
#include <safepip_no_such_header.h>  /* the defect */

PyMODINIT_FUNC PyInit__ext(void) { return NULL; }
