#!/bin/sh
# build-deb.sh ROOT OUTDIR [COMMIT]: turn ROOT, a tree made by
# `make install PREFIX=/usr DESTDIR=ROOT`, into OUTDIR/alpenhorn_VERSION_ARCH.deb
# with dpkg-deb, which every Debian and Ubuntu system has.
set -eu

root=${1:?usage: build-deb.sh ROOT OUTDIR [COMMIT]}
outdir=${2:?usage: build-deb.sh ROOT OUTDIR [COMMIT]}
commit=${3:-}
here=$(dirname "$0")

# The release is version.Release; Debian orders "~" before anything, so that
# 2.0.0-dev (2.0.0~dev) comes before 2.0.0.
release=$(sed -n 's/^const Release = "\(.*\)"$/\1/p' "$here/../internal/version/version.go")
version=$(printf '%s' "$release" | tr '-' '~')
if [ -n "$commit" ]; then
	version="$version+git$(printf '%s' "$commit" | tr -- '-' '.')"
fi
arch=$(dpkg --print-architecture)

# Debian keeps man pages compressed, and a copyright file per package.
gzip -9nf "$root"/usr/share/man/man1/*.1
doc="$root/usr/share/doc/alpenhorn"
{
	echo "alpenhorn-go: a Go port of alpenhorn (https://github.com/radiocosmology/alpenhorn)."
	echo "License: MIT"
	echo
	alpenhorn_licence=$(sed -n '/^const licence = `/,/^SOFTWARE.`$/p' "$here/../internal/cli/root.go" | sed '1s/^const licence = `//; $s/`$//')
	printf '%s\n' "$alpenhorn_licence"
} >"$doc/copyright"

mkdir -p "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<CONTROL
Package: alpenhorn
Version: $version
Architecture: $arch
Maintainer: alpenhorn-go maintainers <alpenhorn@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: rsync, openssh-client
Recommends: openssh-server
Suggests: mariadb-client
Section: utils
Priority: optional
Homepage: https://github.com/radiocosmology/alpenhorn
Description: data-archive manager for radio-telescope acquisitions
 alpenhorn keeps files safe across the storage nodes of several sites,
 recording every copy in a data index (a MariaDB database): the alpenhorn
 command reads and writes the data index, the alpenhornd daemon on each
 storage host imports, copies, verifies and deletes files as it asks.
 This is the Go port; it shares the Python alpenhorn's data index.
CONTROL

cat >"$root/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
	if command -v systemd-sysusers >/dev/null 2>&1; then
		systemd-sysusers alpenhorn.conf
	elif ! getent passwd alpenhorn >/dev/null; then
		adduser --system --group --home /var/lib/alpenhorn --shell /bin/sh alpenhorn
	fi
	# The home holds the user's ssh keys, wanted before the first start.
	install -d -o alpenhorn -g alpenhorn -m 0750 /var/lib/alpenhorn
	install -d -m 0755 /etc/alpenhorn
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload || true
	fi
fi
POSTINST

cat >"$root/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
	systemctl stop alpenhornd.service || true
fi
PRERM

cat >"$root/DEBIAN/postrm" <<'POSTRM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
POSTRM
chmod 755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

mkdir -p "$outdir"
deb="$outdir/alpenhorn_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
