#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include "base/limits.h"
#include "model/lifecycle.h"
#include "base/banned.h"


static const char *const status_names[GEN_STATUS_COUNT] = {
	"pending", "processing", "completed", "partial", "failed", "cancelled",
};

static const char *const failure_codes[FAIL_COUNT] = {
	NULL, "lease_expired", "max_runtime_exceeded", "never_started",
	"generator_failed", "operator_failed",
};

const char *lifecycle_status_name(enum gen_status s)
{
	return (unsigned)s < GEN_STATUS_COUNT ? status_names[s] : NULL;
}

int lifecycle_status_parse(const char *name, enum gen_status *out)
{
	for (int i = 0; i < GEN_STATUS_COUNT; i++) {
		if (!strcmp(name, status_names[i])) {
			*out = (enum gen_status)i;
			return 0;
		}
	}
	return -1;
}

int lifecycle_is_terminal(enum gen_status s)
{
	return s == GEN_COMPLETED || s == GEN_PARTIAL || s == GEN_FAILED ||
	       s == GEN_CANCELLED;
}

int lifecycle_can_transition(enum gen_status from, enum gen_status to, enum gen_actor actor)
{
	int active = from == GEN_PENDING || from == GEN_PROCESSING;

	switch (to) {
	case GEN_PROCESSING:
		return from == GEN_PENDING && actor == ACTOR_WORKER;
	case GEN_COMPLETED:
	case GEN_PARTIAL:
		return from == GEN_PROCESSING && actor == ACTOR_WORKER;
	case GEN_FAILED:
		if (actor == ACTOR_WORKER)
			return from == GEN_PROCESSING;
		return active && (actor == ACTOR_REAPER || actor == ACTOR_ADMIN);
	case GEN_CANCELLED:
		return active && (actor == ACTOR_CLIENT || actor == ACTOR_ADMIN);
	case GEN_PENDING:
		if (actor == ACTOR_REAPER)
			return from == GEN_PROCESSING;
		if (actor == ACTOR_ADMIN)
			return from == GEN_FAILED || from == GEN_PARTIAL ||
			       from == GEN_CANCELLED;
		return 0;
	default:
		return 0;
	}
}

enum gen_status lifecycle_completion_status(unsigned generated, unsigned requested)
{
	if (generated == 0)
		return GEN_FAILED;
	return generated >= requested ? GEN_COMPLETED : GEN_PARTIAL;
}

const char *lifecycle_failure_code(enum gen_failure f)
{
	return (unsigned)f < FAIL_COUNT ? failure_codes[f] : NULL;
}

double lifecycle_progress(unsigned generated, unsigned failed, unsigned requested)
{
	if (requested == 0)
		return 0.0;
	double p = ((double)generated + (double)failed) / (double)requested;
	return p > 1.0 ? 1.0 : p;
}

enum lifecycle_action lifecycle_check_timeout(const struct lifecycle_timing *t,
					      const struct lifecycle_limits *l,
					      int64_t now, enum gen_failure *reason)
{
	*reason = FAIL_NONE;
	if (t->status == GEN_PENDING) {
		if (now - t->requested_at > l->pending_timeout * US_PER_S) {
			*reason = FAIL_NEVER_STARTED;
			return LC_FAIL;
		}
		return LC_NONE;
	}
	if (t->status != GEN_PROCESSING)
		return LC_NONE;
	if (now - t->started_at > l->stale_after * US_PER_S) {
		*reason = FAIL_MAX_RUNTIME;
		return LC_FAIL;
	}
	if (now > t->lease_expires_at) {
		if (t->attempt < l->max_attempts)
			return LC_RETRY;
		*reason = FAIL_LEASE_EXPIRED;
		return LC_FAIL;
	}
	return LC_NONE;
}

/* "10 minutes", "1 minute", "45 seconds": durations as people say them. */
static void human_duration(int64_t seconds, char *out, size_t size)
{
	if (seconds % 60 == 0 && seconds >= 60) {
		int64_t m = seconds / 60;
		snprintf(out, size, "%lld minute%s", (long long)m, m == 1 ? "" : "s");
	} else {
		snprintf(out, size, "%lld second%s", (long long)seconds,
			 seconds == 1 ? "" : "s");
	}
}

void lifecycle_failure_message(enum gen_failure reason, const struct lifecycle_limits *l,
			       unsigned attempt, char *out, size_t size)
{
	char span[48];

	switch (reason) {
	case FAIL_MAX_RUNTIME:
		human_duration(l->stale_after, span, sizeof(span));
		snprintf(out, size, "Generation timed out after %s", span);
		break;
	case FAIL_LEASE_EXPIRED:
		snprintf(out, size,
			 "Worker stopped sending heartbeats; lease expired on attempt %u of %u",
			 attempt, l->max_attempts);
		break;
	case FAIL_NEVER_STARTED:
		human_duration(l->pending_timeout, span, sizeof(span));
		snprintf(out, size, "Never picked up by a worker within %s", span);
		break;
	case FAIL_GENERATOR:
		snprintf(out, size, "Every entity failed to generate");
		break;
	case FAIL_OPERATOR:
		snprintf(out, size, "Marked failed by an operator");
		break;
	default:
		snprintf(out, size, "%s", "");
		break;
	}
}

enum lifecycle_action lifecycle_decide_timeout(const struct lifecycle_timing *t,
					       const struct lifecycle_limits *l, int64_t now,
					       struct lifecycle_timeout *out)
{
	out->action = lifecycle_check_timeout(t, l, now, &out->reason);
	out->to = out->action == LC_RETRY ? GEN_PENDING
		  : out->action == LC_FAIL ? GEN_FAILED : t->status;
	out->message[0] = '\0';
	/* The same comparisons as lifecycle_check_timeout, turned round. */
	out->cutoff = out->reason == FAIL_MAX_RUNTIME ? now - l->stale_after * US_PER_S
		      : out->reason == FAIL_NEVER_STARTED ? now - l->pending_timeout * US_PER_S
		      : now;
	if (out->action == LC_RETRY)
		snprintf(out->message, sizeof(out->message),
			 "Worker stopped sending heartbeats; lease expired on attempt %u of %u, retrying",
			 t->attempt, l->max_attempts);
	else if (out->action == LC_FAIL)
		lifecycle_failure_message(out->reason, l, t->attempt, out->message,
					  sizeof(out->message));
	return out->action;
}

static int clamp_seconds(int64_t v)
{
	if (v < 1)
		return 1;
	if (v > 30)
		return 30;
	return (int)v;
}

int lifecycle_retry_after(enum gen_status status, unsigned queue_ahead,
			  unsigned generated, unsigned failed, unsigned requested,
			  int64_t started_at, int64_t now)
{
	if (status == GEN_PENDING)
		/* Each request ahead is at least a second of some worker's time. */
		return clamp_seconds(2 + (int64_t)queue_ahead);
	if (status != GEN_PROCESSING)
		return 1;
	unsigned done = generated + failed;
	int64_t elapsed = now > started_at ? now - started_at : 0;
	if (done == 0 || done >= requested)
		return clamp_seconds(elapsed / US_PER_S / 2 + 1);
	/* Ask again about halfway through the estimated time left. */
	int64_t per_entity = elapsed / done;
	int64_t left = per_entity * (int64_t)(requested - done);
	return clamp_seconds(left / US_PER_S / 2);
}
