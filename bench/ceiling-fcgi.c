/*
 * ceiling-fcgi: ceiling B of bench/run. The least a FastCGI responder can do
 * behind nginx: pre-forked children accepting on one unix socket (as
 * gentrack-fcgi does), each answering every request with the same 200-byte
 * JSON without reading the request or touching any store. Nothing behind
 * FastCGI can be faster, so the scenarios are reported as a ratio of it.
 *
 *   ceiling-fcgi SOCKET_PATH WORKERS
 *
 * SIGTERM to the parent stops the children and removes the socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <fcgiapp.h>

#include "prefork.h"

/* Exactly 200 bytes (checked at start), like a small gentrack resource. */
static const char body[] =
	"{\"request_id\":\"0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f\","
	"\"entity_type\":\"problem\",\"status\":\"processing\","
	"\"requested_count\":5,\"generated_count\":2,\"progress\":0.4,"
	"\"note\":\"ceiling B: no store\",\"pad\":\"xxxxxxxx\"}";

static const char head[] =
	"Status: 200 OK\r\n"
	"Content-Type: application/json\r\n"
	"Content-Length: 200\r\n"
	"\r\n";

static int serve(int sock)
{
	FCGX_Request req;
	if (FCGX_InitRequest(&req, sock, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(head, (int)sizeof(head) - 1, req.out);
		FCGX_PutStr(body, (int)sizeof(body) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int n, sock;
	char *end;

	if (argc != 3) {
		fprintf(stderr, "usage: ceiling-fcgi SOCKET_PATH WORKERS\n");
		return 1;
	}
	errno = 0;
	n = (int)strtol(argv[2], &end, 10);
	if (errno || *end || n < 1 || n > PREFORK_MAX_WORKERS) {
		fprintf(stderr, "ceiling-fcgi: workers must be 1..%d\n", PREFORK_MAX_WORKERS);
		return 1;
	}
	if (sizeof(body) - 1 != 200) {
		fprintf(stderr, "ceiling-fcgi: body is %zu bytes, not 200\n", sizeof(body) - 1);
		return 1;
	}
	if (FCGX_Init() != 0 || (sock = FCGX_OpenSocket(argv[1], 1024)) < 0) {
		fprintf(stderr, "ceiling-fcgi: cannot listen on %s\n", argv[1]);
		return 1;
	}
	return prefork_run("ceiling-fcgi", argv[1], sock, n, serve);
}
