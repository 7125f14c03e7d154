#ifndef GENTRACK_POOL_H
#define GENTRACK_POOL_H

/*
 * The pre-forked pool: the parent forks `workers` children that all accept
 * on one listening socket, restarts a child that dies, and on SIGTERM/SIGINT
 * asks every child to finish its in-flight request and exit, then exits.
 *
 * child_main runs in each child and returns its exit status; it should call
 * pool_child_should_stop() between requests and wrap each request in
 * pool_child_busy()/pool_child_idle() so a shutdown signal never interrupts a
 * request half-way.
 */
typedef int (*pool_child_fn)(void *ctx);

/*
 * Work of the parent's own, called about once a second between its rounds of
 * supervision (not while stopping), with SIGCHLD and the stop signals held
 * back until it returns: keep it short and bounded, as a child that dies
 * meanwhile is restarted only after it. NULL: none.
 */
typedef void (*pool_tick_fn)(void *ctx);

/* Runs the pool until shutdown. Returns the process exit status. */
int pool_run(int workers, pool_child_fn child_main, void *ctx, pool_tick_fn on_tick,
	     void *tick_ctx);

/* In a child: installs its signal handling (called by pool_run before child_main). */
int pool_child_should_stop(void);
/* Blocks shutdown signals while a request is handled... */
void pool_child_busy(void);
/* ...and lets them through again while waiting in accept. */
void pool_child_idle(void);

#endif
