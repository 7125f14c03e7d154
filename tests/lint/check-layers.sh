#!/usr/bin/env bash
# Checks that the includes of a source tree go the way the layers do
# (README "Development"): every line it prints names the file, the line and
# the include, and why it is refused. Exit 0 when there is nothing to say.
#
#   check-layers.sh SRC_DIR
#
# Layers, from the bottom: base <- model <- store <- web <- api <- admin;
# live (publishing to nginx's Nchan) sits on store, below api and ops;
# ops sits on store beside web; worker stands on base and model only; bin
# (the route table and the three main()s) may include anything.
set -u
src=${1:?usage: check-layers.sh SRC_DIR}
cd "$src" || exit 2

declare -A allowed=(
	[base]="base"
	[model]="base model"
	[store]="base model store"
	[live]="base model store live"
	[web]="base model store web"
	[api]="base model store live web api"
	[admin]="base model store live web api admin"
	[ops]="base model store live ops"
	[worker]="base model worker"
	[bin]="base model store live web api admin ops worker bin"
)
# Headers that do I/O, or read the clock: model/ is the pure state machine.
io_headers='^(stdio|unistd|fcntl|poll|dirent|signal|time|fcgiapp|fcgi_stdio|mysql|curl/curl|sys/[a-z_]+|netinet/[a-z_]+|arpa/[a-z_]+)\.h$'
# stdio.h is there for snprintf: model/ may include it but call none of its I/O.
io_calls='\b(fopen|fdopen|fclose|printf|fprintf|vfprintf|puts|fputs|fputc|putchar|fwrite|fread|fgets|getline|perror|getenv|time|clock_gettime|gettimeofday)[[:space:]]*\('

problems=0
say() { printf '%s\n' "$*"; problems=$((problems + 1)); }

while IFS= read -r file; do
	layer=${file%%/*}
	if [[ $file != */* || -z ${allowed[$layer]+x} ]]; then
		say "$file: not in a layer folder (${!allowed[*]})"
		continue
	fi
	while IFS=: read -r line text; do
		if [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
			inc=${BASH_REMATCH[1]}
			[[ $inc == build_config.h ]] && continue
			target=${inc%%/*}
			if [[ $inc != */* || -z ${allowed[$target]+x} ]]; then
				say "$file:$line: #include \"$inc\": name the header with its folder (e.g. \"base/strbuf.h\")"
			elif [[ " ${allowed[$layer]} " != *" $target "* ]]; then
				say "$file:$line: #include \"$inc\": $layer/ may include only ${allowed[$layer]// //}"
			fi
		elif [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<([^\>]+)\> ]]; then
			inc=${BASH_REMATCH[1]}
			if [[ $inc == fcgiapp.h || $inc == fcgi_stdio.h || $inc == fcgio.h ]] && [[ $file != web/http.c ]]; then
				say "$file:$line: #include <$inc>: only web/http.c speaks FastCGI"
			elif [[ $inc == mysql.h || $inc == mysql/* || $inc == mariadb/* ]] && [[ $layer != store ]]; then
				say "$file:$line: #include <$inc>: only store/ talks to MariaDB"
			elif [[ $layer == model && $inc =~ $io_headers && $inc != stdio.h ]]; then
				say "$file:$line: #include <$inc>: model/ is pure, no I/O or clock"
			fi
		fi
	done < <(grep -n -E '^[[:space:]]*#[[:space:]]*include' "$file")
	if [[ $layer == model ]]; then
		while IFS=: read -r line text; do
			say "$file:$line: ${text#"${text%%[![:space:]]*}"}: model/ is pure, no I/O or clock"
		done < <(grep -n -E "$io_calls" "$file" | grep -v -E '^[0-9]+:[[:space:]]*(/?\*|//)')
	fi
done < <(find . -name '*.[ch]' | sed 's|^\./||' | LC_ALL=C sort)

# No circle inside a folder either: module X -> Y when X.c or X.h includes
# Y.h. tsort names the modules of any loop it meets.
edges=$(find . -name '*.[ch]' | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r file; do
	from=${file%.[ch]}
	grep -h -o -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z]+/[a-z0-9_]+\.h"' "$file" |
		sed -E 's/.*"(.*)\.h"/\1/' | while IFS= read -r to; do
		[[ $to != "$from" && -f $to.h ]] && printf '%s %s\n' "$from" "$to"
	done
done)
loop=$(printf '%s\n' "$edges" | tsort 2>&1 >/dev/null | sed -n 's/^tsort: //p' | grep -v 'input contains a loop')
if [[ -n $loop ]]; then
	say "include circle among: $(printf '%s\n' $loop | LC_ALL=C sort -u | tr '\n' ' ')"
fi

((problems == 0))
