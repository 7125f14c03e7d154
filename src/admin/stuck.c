#include "build_config.h"

#include <string.h>

#include "base/limits.h"
#include "admin/admin.h"
#include "base/banned.h"

/*
 * What counts as stuck (SPEC §3 "Admin"): one rule for the dashboard, the
 * bulk cancel and GET /admin/api/stuck, so the pages and the scripts agree.
 */

#define STUCK_ROWS 100           /* the dashboard's stuck list */

void admin_stuck_filter(const struct config *cfg, int64_t now, struct store_stuck_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->as_of = now;
	f->processing_cutoff = now - cfg->stale_after * US_PER_S / 2;
	f->pending_cutoff = now - cfg->pending_timeout * US_PER_S;
	f->age_cutoff = now;
	f->limit = STUCK_ROWS;
}

const char *admin_stuck_reason(const struct config *cfg, const struct gen_request *r, int64_t now)
{
	if (r->status == GEN_PENDING)
		return "not_picked_up";
	if (r->lease_expires_at != TIME_NONE && r->lease_expires_at < now)
		return "lease_expired";
	(void)cfg;
	return "running_long";
}
