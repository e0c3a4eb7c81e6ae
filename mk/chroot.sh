# mk/chroot.sh - a throwaway Debian 12 tree for mk/fresh-check and mk/deb-check
#
# Sourced (". mk/chroot.sh"), not run.  Needs root, debootstrap and network
# access to a Debian mirror.
#
#	chroot_mirror		prints the Debian mirror this machine's apt
#				uses for bookworm (BM_MIRROR overrides)
#	chroot_base		prints the cached base tarball, making it
#				first if needed: debootstrap --variant=minbase
#				bookworm plus build-essential, git and make only
#	chroot_new		unpacks the base into a new temporary directory
#				$CT, mounts /proc, /sys, /dev, /dev/pts, a tmpfs
#				on /run and /tmp, and the apt download cache;
#				arranges chroot_cleanup on exit
#	chroot_run CMD...	runs a shell command in the tree as root
#	chroot_cleanup		stops every process whose root is the tree,
#				unmounts everything under it and removes it
#				(BM_KEEP=1 keeps the files)
#
# Cache: BM_CACHE (default ~/.cache/bounce-milter) holds the base tarball
# and apt's downloaded .debs, so a second run downloads nothing.  The tree
# gets a policy-rc.d that keeps package scripts from starting daemons, as
# in every Debian chroot (a booted machine would start them under systemd;
# mk/deps stops Postfix again either way).

BM_CACHE=${BM_CACHE:-${HOME:-/root}/.cache/bounce-milter}
BM_SUITE=bookworm
BM_INCLUDE=build-essential,git,make
CT=""

chroot_mirror() {
	if [ -n "${BM_MIRROR:-}" ]; then echo "$BM_MIRROR"; return; fi
	m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
	    awk -v s="$BM_SUITE" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++;
	        if ($2 ~ /^\[/) i++; if ($(i + 1) == s) { print $i; exit } }')
	[ -z "$m" ] && m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
	    awk -v s="$BM_SUITE" '
		/^[ \t]*$/ { if (u != "" && ok) { print u; exit } u = ""; ok = 0; next }
		/^URIs:/ { u = $2 }
		/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
		END { if (u != "" && ok) print u }' | head -n 1)
	echo "${m:-http://deb.debian.org/debian}"
}

chroot_base() {
	base="$BM_CACHE/$BM_SUITE-$(dpkg --print-architecture)-minbase.tar.gz"
	if [ ! -s "$base" ]; then
		command -v debootstrap >/dev/null 2>&1 ||
		    { echo "chroot: debootstrap missing (apt-get install debootstrap)" >&2; return 1; }
		mkdir -p "$BM_CACHE/debs"
		d=$(mktemp -d "${TMPDIR:-/tmp}/bm-debootstrap.XXXXXX") || return 1
		echo "chroot: debootstrap $BM_SUITE from $(chroot_mirror) (once; cached in $base)" >&2
		if ! debootstrap --variant=minbase --include="$BM_INCLUDE" \
		    --cache-dir="$BM_CACHE/debs" "$BM_SUITE" "$d" "$(chroot_mirror)" \
		    >"$BM_CACHE/debootstrap.log" 2>&1; then
			echo "chroot: debootstrap failed, see $BM_CACHE/debootstrap.log" >&2
			chroot_umount "$d"; rm -rf --one-file-system "$d"; return 1
		fi
		chroot_umount "$d"
		rm -rf "$d"/var/cache/apt/archives/*.deb "$d"/var/lib/apt/lists/*_Packages
		tar -C "$d" -czf "$base.tmp" . && mv "$base.tmp" "$base"
		rm -rf --one-file-system "$d"
	fi
	echo "$base"
}

# chroot_umount DIR: unmount whatever is mounted at or under DIR, deepest first
chroot_umount() {
	awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts |
	    sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
}

chroot_new() {
	base=$(chroot_base) || return 1
	CT=$(mktemp -d "${TMPDIR:-/tmp}/bm-fresh.XXXXXX") || return 1
	trap chroot_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	tar -C "$CT" -xzf "$base" || return 1
	# mktemp made it 0700 (and the tarball's "." too): the tree's / must
	# be open to the users in it (_apt, postfix, nobody)
	chmod 755 "$CT"
	mount -t proc proc "$CT/proc"
	mount -t sysfs sysfs "$CT/sys"
	mount --bind /dev "$CT/dev"
	mount -t devpts -o newinstance,ptmxmode=0666 devpts "$CT/dev/pts" 2>/dev/null ||
	    mount --bind /dev/pts "$CT/dev/pts"
	mount -t tmpfs tmpfs "$CT/run"
	mount -t tmpfs -o mode=1777 tmpfs "$CT/tmp"
	mkdir -p "$BM_CACHE/apt-archives/partial"
	mount --bind "$BM_CACHE/apt-archives" "$CT/var/cache/apt/archives"
	cp /etc/resolv.conf "$CT/etc/resolv.conf" 2>/dev/null
	printf '#!/bin/sh\nexit 101\n' >"$CT/usr/sbin/policy-rc.d"
	chmod 755 "$CT/usr/sbin/policy-rc.d"
	# keep the downloaded .debs for the next run
	echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' \
	    >"$CT/etc/apt/apt.conf.d/01keep-debs"
	echo "deb $(chroot_mirror) $BM_SUITE main" >"$CT/etc/apt/sources.list"
}

chroot_run() {
	chroot "$CT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    /bin/sh -c "$*"
}

chroot_cleanup() {
	[ -n "$CT" ] && [ -d "$CT" ] || return 0
	# stop what is left running in the tree (only processes rooted there)
	for sig in TERM KILL; do
		for p in /proc/[0-9]*; do
			r=$(readlink "$p/root" 2>/dev/null) || continue
			[ "$r" = "$CT" ] && kill -s "$sig" "${p#/proc/}" 2>/dev/null
		done
		sleep 1
	done
	chroot_umount "$CT"
	if awk -v d="$CT" 'index($2, d) == 1 { f = 1 } END { exit !f }' /proc/mounts; then
		echo "chroot: $CT still has mounts; not removing it" >&2
	elif [ "${BM_KEEP:-0}" = 1 ]; then
		echo "chroot: kept $CT" >&2
	else
		rm -rf --one-file-system "$CT"
	fi
	CT=""
}
