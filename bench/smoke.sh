#!/usr/bin/env bash
# The benchmark suite's smoke for `make check`: about 2 s of load on a tiny
# store of its own, checking that bench/run itself still works (statuses,
# parsing, no double claim). It measures nothing worth reading.
exec bash "$(dirname "$0")/run" --smoke
