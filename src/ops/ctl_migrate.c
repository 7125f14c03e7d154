#include "build_config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "base/strbuf.h"
#include "ops/ctl.h"
#include "ops/ctl_cmd.h"
#include "store/store.h"
#include "base/banned.h"

/* "NNN_name.sql" → version NNN; -1 for any other file name. */
static long migration_version(const char *name)
{
	size_t n = strlen(name);
	if (n < 9 || strcmp(name + n - 4, ".sql") || name[3] != '_')
		return -1;
	for (int i = 0; i < 3; i++)
		if (name[i] < '0' || name[i] > '9')
			return -1;
	return (name[0] - '0') * 100 + (name[1] - '0') * 10 + (name[2] - '0');
}

static int migration_filter(const struct dirent *d)
{
	return migration_version(d->d_name) >= 0;
}

/* The whole file, NUL-terminated (you own it), or NULL after saying why on stderr. */
static char *read_file(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "gentrackctl: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		strbuf_add(&sb, chunk, n);
	int bad = ferror(f);
	fclose(f);
	if (bad || sb.oom) {
		fprintf(stderr, "gentrackctl: cannot read %s\n", path);
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

int ctl_cmd_migrate(struct ctl *c, int argc, char **argv)
{
	struct dirent **files = NULL;
	struct strbuf applied_json = STRBUF_INIT;
	struct jsonw w;
	int nfiles, applied = 0, ret = CTL_OK, rc;
	const char *dir = c->cfg.migrations_dir;

	if (argc != 1) {
		ctl_usage(stderr);
		return CTL_USAGE;
	}
	nfiles = scandir(dir, &files, migration_filter, alphasort);
	if (nfiles < 0) {
		fprintf(stderr, "gentrackctl: cannot read migrations from %s: %s\n", dir,
			strerror(errno));
		return CTL_USAGE;
	}
	if ((rc = store_migrations_init(c->store))) {
		ret = ctl_store_failed(c, rc);
		goto cleanup;
	}
	jsonw_init(&w, &applied_json);
	jsonw_object_begin(&w);
	jsonw_key(&w, "applied");
	jsonw_array_begin(&w);
	for (int i = 0; i < nfiles; i++) {
		const char *name = files[i]->d_name;
		unsigned version = (unsigned)migration_version(name);
		char path[4096];
		rc = store_migration_applied(c->store, version);
		if (rc < 0) {
			ret = ctl_store_failed(c, rc);
			goto cleanup;
		}
		if (rc == 1)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		char *sql = read_file(path);
		if (!sql) {
			ret = CTL_USAGE;
			goto cleanup;
		}
		/* The name without ".sql" is what schema_migrations records. */
		char label[256];
		snprintf(label, sizeof(label), "%.*s", (int)(strlen(name) - 4), name);
		int64_t now;
		if (ctl_now(c, &now)) {
			free(sql);
			ret = CTL_STORE;
			goto cleanup;
		}
		rc = store_migration_apply(c->store, version, label, sql, now);
		free(sql);
		if (rc) {
			fprintf(stderr, "gentrackctl: migration %s failed\n", name);
			ret = ctl_store_failed(c, rc);
			goto cleanup;
		}
		applied++;
		jsonw_cstr(&w, label);
		if (!c->json)
			printf("applied %s\n", label);
	}
	jsonw_array_end(&w);
	jsonw_object_end(&w);
	if (c->json)
		ret = ctl_print_json(&applied_json);
	else if (!applied)
		printf("nothing to apply: the schema is up to date (%d migrations)\n", nfiles);
cleanup:
	for (int i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	strbuf_release(&applied_json);
	return ret;
}
