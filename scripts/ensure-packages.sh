#!/bin/sh
# ensure-packages.sh demo|test: make sure the Debian/Ubuntu packages that
# `make demo` or `make test` need are installed.
#
# As root it installs the missing ones, saying which. Otherwise it prints
# the one apt-get command to run, then fails (demo: the demo cannot run
# without them) or warns loudly and succeeds (test: the tests that need
# them skip). On a system without dpkg it only checks for the programs.
set -eu

purpose=${1:?usage: ensure-packages.sh demo|test}
case $purpose in
demo) packages="openssh-server openssh-client rsync util-linux" ;;
test) packages="mariadb-server galera-4 prometheus openssh-server openssh-client rsync util-linux iproute2" ;;
*)
	echo "usage: ensure-packages.sh demo|test" >&2
	exit 2
	;;
esac

# The programs each package provides, for systems without dpkg and for
# installs outside the package manager (a program found is enough).
program_of() {
	case $1 in
	openssh-server) echo sshd ;;
	openssh-client) echo ssh ;;
	rsync) echo rsync ;;
	util-linux) echo ionice ;;
	iproute2) echo ip ;;
	mariadb-server) echo mariadbd ;;
	prometheus) echo promtool ;;
	esac
}

PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"
missing=
for p in $packages; do
	# galera-4 is a library for mariadbd, not a program.
	if [ "$p" = galera-4 ] && [ -e /usr/lib/galera/libgalera_smm.so ]; then
		continue
	fi
	if [ "$p" != galera-4 ] && command -v "$(program_of "$p")" >/dev/null 2>&1; then
		continue
	fi
	missing="$missing $p"
done
missing=${missing# }
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "*** missing programs from these packages: $missing (install them with your package manager) ***" >&2
	[ "$purpose" = test ] && exit 0
	exit 1
fi

if [ "$(id -u)" = 0 ]; then
	echo "installing system packages needed by make $purpose: $missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	# Keep apt from starting the packaged services (the tests and the
	# demo start their own private sshd and MariaDB servers).
	policy=${ALPENHORN_POLICY_RC_D:-/usr/sbin/policy-rc.d}
	cleanup=
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod +x "$policy"
		cleanup=$policy
	fi
	status=0
	{ apt-get update -q && apt-get install -y -q --no-install-recommends $missing; } >&2 || status=$?
	[ -n "$cleanup" ] && rm -f "$cleanup"
	exit $status
fi

cmd="sudo apt-get install --no-install-recommends $missing"
if [ "$purpose" = demo ]; then
	echo "make demo needs these system packages: $missing" >&2
	echo "install them with:  $cmd" >&2
	exit 1
fi
echo "*** make test: SKIPPING the tests that need $missing; install them with:  $cmd ***" >&2
exit 0
