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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#define MAX_WORKERS 256

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

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static int serve(int sock)
{
	FCGX_Request req;
	if (FCGX_InitRequest(&req, sock, 0) != 0)
		return 1;
	/* The default disposition: a TERM from the parent ends the child at once. */
	signal(SIGTERM, SIG_DFL);
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(head, (int)sizeof(head) - 1, req.out);
		FCGX_PutStr(body, (int)sizeof(body) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}

int main(int argc, char **argv)
{
	pid_t kids[MAX_WORKERS];
	int n, i, sock;
	char *end;

	if (argc != 3) {
		fprintf(stderr, "usage: ceiling-fcgi SOCKET_PATH WORKERS\n");
		return 1;
	}
	errno = 0;
	n = (int)strtol(argv[2], &end, 10);
	if (errno || *end || n < 1 || n > MAX_WORKERS) {
		fprintf(stderr, "ceiling-fcgi: workers must be 1..%d\n", MAX_WORKERS);
		return 1;
	}
	if (sizeof(body) - 1 != 200) {
		fprintf(stderr, "ceiling-fcgi: body is %zu bytes, not 200\n", sizeof(body) - 1);
		return 1;
	}
	if (FCGX_Init() != 0) {
		fprintf(stderr, "ceiling-fcgi: FCGX_Init failed\n");
		return 1;
	}
	sock = FCGX_OpenSocket(argv[1], 1024);
	if (sock < 0) {
		fprintf(stderr, "ceiling-fcgi: cannot listen on %s\n", argv[1]);
		return 1;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	for (i = 0; i < n; i++) {
		kids[i] = fork();
		if (kids[i] < 0) {
			perror("ceiling-fcgi: fork");
			n = i;
			stopping = 1;
			break;
		}
		if (kids[i] == 0)
			_exit(serve(sock));
	}
	/* No restarts: a benchmark wants to know when a child died, not hide it. */
	while (!stopping) {
		pid_t pid = wait(NULL);
		if (pid < 0 && errno != EINTR)
			break;
		if (pid > 0) {
			fprintf(stderr, "ceiling-fcgi: child %d exited\n", (int)pid);
			break;
		}
	}
	for (i = 0; i < n; i++)
		kill(kids[i], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	unlink(argv[1]);
	return 0;
}
