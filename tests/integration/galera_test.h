#ifndef GENTRACK_TESTS_GALERA_TEST_H
#define GENTRACK_TESTS_GALERA_TEST_H

/*
 * Shared by the programs tests/integration/galera.sh runs against its
 * cluster: each takes the configuration files of the app hosts it plays
 * (every host's store on another node first) on its command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/timeutil.h"
#include "base/uuid.h"
#include "model/resource.h"
#include "store/store.h"

static const char *galera_test_program = "test_galera";

/* Set-up failures are not test failures: exit 99, automake's hard error. */
static inline void fatal(const char *what, const char *detail)
{
	fprintf(stderr, "%s: %s: %s\n", galera_test_program, what, detail);
	exit(99);
}

/* A connected store on the configuration at path; cfg lives as long as it. */
static inline struct store *open_store(const char *path, struct config *cfg)
{
	char err[512];
	if (config_init(cfg) < 0 || config_load_file(cfg, path, err, sizeof(err)) < 0)
		fatal("config", err);
	struct store *s = store_new(cfg);
	if (!s || store_connect(s))
		fatal("connect", s ? store_last_error(s) : "out of memory");
	return s;
}

/*
 * Fills r as a client's create would: pending, one entity of `type`, of
 * `owner`, requested now, with a new id from gen; subject_key when not
 * NULL. The caller releases r (gen_request_release).
 */
static inline void pending_request(struct uuid_gen *gen, const char *owner, const char *type,
				   const char *subject, struct gen_request *r)
{
	int64_t now = time_now_us();
	gen_request_init(r);
	if (uuid_v7_next(gen, now / 1000, &r->id) < 0)
		fatal("uuid", "no id");
	snprintf(r->owner, sizeof(r->owner), "%s", owner);
	snprintf(r->entity_type, sizeof(r->entity_type), "%s", type);
	if (subject) {
		r->subject_key = strdup(subject);
		r->subject_key_len = strlen(subject);
	}
	r->status = GEN_PENDING;
	r->requested_count = 1;
	r->version = 1;
	r->requested_at = r->updated_at = now;
	r->constraints_json = strdup("{}");
	r->metadata_json = strdup("{}");
	if ((subject && !r->subject_key) || !r->constraints_json || !r->metadata_json)
		fatal("request", "out of memory");
}

#endif
