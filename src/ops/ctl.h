#ifndef GENTRACK_CTL_H
#define GENTRACK_CTL_H

/*
 * gentrackctl: the operator's companion. Exit status 0 on success, 1 on a
 * usage error, 2 on a store error (CTL_OK, CTL_USAGE, CTL_STORE).
 */
enum { CTL_OK = 0, CTL_USAGE = 1, CTL_STORE = 2 };

int ctl_main(int argc, char **argv);

#endif
