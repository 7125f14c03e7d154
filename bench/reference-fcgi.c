/*
 * reference-fcgi: the reference point for the status poll. The
 * minimal C FastCGI responder that does one primary-key SELECT through
 * Connector/C per request: pre-forked children on one unix socket (as
 * ceiling-fcgi and gentrack-fcgi), each with its own connection and one
 * statement prepared once, answering GET .../<uuid> with the row's status
 * and version. No key check, no entities, no headers beyond the minimum:
 * what a poll costs when it is nothing but one round trip to the store.
 *
 *   reference-fcgi SOCKET_PATH WORKERS MYSQL_SOCKET DATABASE
 *
 * (as root over the socket: bench/run's private stack only). SIGTERM to the
 * parent stops the children and removes the socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <mysql.h>

#include "prefork.h"

static const char *db_socket, *db_name;
/* The 16 bytes of the UUID that ends `uri`; 0, or -1. */
static int uuid_of(const char *uri, unsigned char out[16])
{
	const char *p = uri ? strrchr(uri, '/') : NULL;
	int n = 0;
	if (!p)
		return -1;
	for (p++; *p && n < 32; p++) {
		if (*p == '-')
			continue;
		int v = (*p >= '0' && *p <= '9') ? *p - '0'
			: (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10 : -1;
		if (v < 0)
			return -1;
		if (n % 2 == 0)
			out[n / 2] = (unsigned char)(v << 4);
		else
			out[n / 2] |= (unsigned char)v;
		n++;
	}
	return n == 32 && !*p ? 0 : -1;
}

static int serve(int sock)
{
	FCGX_Request req;
	MYSQL *db = mysql_init(NULL);
	MYSQL_STMT *st;
	static const char sql[] =
		"SELECT status, version FROM generation_requests WHERE id = ?";

	if (!db || !mysql_real_connect(db, "localhost", "root", NULL, db_name, 0, db_socket, 0)) {
		fprintf(stderr, "reference-fcgi: connect: %s\n", db ? mysql_error(db) : "oom");
		return 1;
	}
	st = mysql_stmt_init(db);
	if (!st || mysql_stmt_prepare(st, sql, sizeof(sql) - 1)) {
		fprintf(stderr, "reference-fcgi: prepare: %s\n", mysql_error(db));
		return 1;
	}
	if (FCGX_InitRequest(&req, sock, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		unsigned char id[16];
		char status[32];
		long long version = 0;
		unsigned long status_len = 0;
		MYSQL_BIND p, r[2];
		int found = 0;

		if (uuid_of(FCGX_GetParam("REQUEST_URI", req.envp), id) == 0) {
			memset(&p, 0, sizeof(p));
			p.buffer_type = MYSQL_TYPE_BLOB;
			p.buffer = id;
			p.buffer_length = sizeof(id);
			memset(r, 0, sizeof(r));
			r[0].buffer_type = MYSQL_TYPE_STRING;
			r[0].buffer = status;
			r[0].buffer_length = sizeof(status) - 1;
			r[0].length = &status_len;
			r[1].buffer_type = MYSQL_TYPE_LONGLONG;
			r[1].buffer = &version;
			if (mysql_stmt_bind_param(st, &p) || mysql_stmt_execute(st) ||
			    mysql_stmt_bind_result(st, r) || mysql_stmt_store_result(st)) {
				fprintf(stderr, "reference-fcgi: %s\n", mysql_stmt_error(st));
				return 1;
			}
			found = mysql_stmt_fetch(st) == 0;
			mysql_stmt_free_result(st);
		}
		if (found) {
			status[status_len < sizeof(status) ? status_len : sizeof(status) - 1] = '\0';
			FCGX_FPrintF(req.out, "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"
				     "{\"status\":\"%s\",\"version\":%lld}", status, version);
		} else {
			FCGX_PutS("Status: 404 Not Found\r\nContent-Type: application/json\r\n\r\n{}",
				  req.out);
		}
		FCGX_Finish_r(&req);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int n, sock;
	char *end;

	if (argc != 5) {
		fprintf(stderr, "usage: reference-fcgi SOCKET_PATH WORKERS MYSQL_SOCKET DATABASE\n");
		return 1;
	}
	errno = 0;
	n = (int)strtol(argv[2], &end, 10);
	if (errno || *end || n < 1 || n > PREFORK_MAX_WORKERS) {
		fprintf(stderr, "reference-fcgi: workers must be 1..%d\n", PREFORK_MAX_WORKERS);
		return 1;
	}
	db_socket = argv[3];
	db_name = argv[4];
	if (FCGX_Init() != 0 || (sock = FCGX_OpenSocket(argv[1], 1024)) < 0) {
		fprintf(stderr, "reference-fcgi: cannot listen on %s\n", argv[1]);
		return 1;
	}
	return prefork_run("reference-fcgi", argv[1], sock, n, serve);
}
