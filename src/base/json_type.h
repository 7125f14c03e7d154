#ifndef GENTRACK_JSON_TYPE_H
#define GENTRACK_JSON_TYPE_H

#include <jansson.h>

/* A JSON value's type as error messages name it: "an object", "a string",
 * "a number with a fraction or exponent", "null"... */
const char *json_type_name(const json_t *v);

#endif
