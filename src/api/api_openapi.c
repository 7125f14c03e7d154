#include "build_config.h"

#include "api/api_openapi.h"
#include "web/etag.h"
#include "base/banned.h"

/*
 * The document changes only with the binary: a cache may keep it a few
 * minutes, then asks again with the ETag and gets a bodiless 304.
 */
#define OPENAPI_CACHE_CONTROL "public, max-age=300"

void api_openapi(struct call *c)
{
	http_add_header(c->resp, "ETag", "%s", api_openapi_etag);
	http_add_header(c->resp, "Cache-Control", "%s", OPENAPI_CACHE_CONTROL);
	if (etag_none_match(http_param(c->req, "HTTP_IF_NONE_MATCH"), api_openapi_etag)) {
		c->resp->status = 304;
		return;
	}
	c->resp->status = 200;
	c->resp->content_type = "application/json";
	strbuf_add(&c->resp->body, api_openapi_doc, api_openapi_doc_len);
}
