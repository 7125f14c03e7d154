/* gentrackctl: see ctl.h; main() stays thin so the commands are testable. */
#include "build_config.h"

#include "ops/ctl.h"

int main(int argc, char **argv)
{
	return ctl_main(argc, argv);
}
