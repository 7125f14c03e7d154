#ifndef GENTRACK_API_OPENAPI_H
#define GENTRACK_API_OPENAPI_H

#include <stddef.h>

#include "web/handler.h"

/*
 * GET /api/v1/openapi.json: the OpenAPI 3.1 document of the client, worker
 * and admin JSON APIs (api/openapi.json in the source tree), for anyone: no
 * credentials, an ETag (304 on If-None-Match) and Cache-Control.
 */
void api_openapi(struct call *c);

/*
 * The document and its entity tag, made by make from api/openapi.json into
 * src/api/api_openapi_doc.c, so the binary needs no file at run time.
 */
extern const char api_openapi_doc[];     /* NUL-terminated */
extern const size_t api_openapi_doc_len; /* without the NUL */
extern const char api_openapi_etag[];    /* quoted: "\"<hash>\"" */

#endif
