#!/bin/sh
# Import detector for the exec_detect extension, accepting the alpenhorn
# demo's layout: acquisitions are YYYY/MM/DD directories holding meta.txt
# and hh/mmss.dat data files.
#
#   extensions: [exec_detect]
#   exec_detect:
#     command: [/path/to/detect.sh]
#
# The request arrives on stdin as one line of JSON, e.g.
#   {"path":"2025/02/21/23/1324.dat","node":"demo_storage1","root":"/data"}
# and the verdict goes to stdout. Paths containing a quote or a backslash
# (escaped in JSON) are simply rejected, which keeps this free of a JSON
# parser.

reject() {
    echo '{"accept": false}'
    exit 0
}

request=$(cat)
path=$(printf '%s\n' "$request" | sed -n 's/^.*"path":"\([^"\\]*\)".*$/\1/p')
[ -n "$path" ] || reject

# The acquisition is the first three path components.
case "$path" in
    20[0-9][0-9]/0[1-9]/[0-3][0-9]/* | 20[0-9][0-9]/1[0-2]/[0-3][0-9]/*) ;;
    *) reject ;;
esac
acq=${path%"${path#????/??/??}"}
file=${path#"$acq"/}

case "$file" in
    meta.txt) ;;
    [01][0-9]/[0-5][0-9][0-5][0-9].dat | 2[0-3]/[0-5][0-9][0-5][0-9].dat) ;;
    *) reject ;;
esac

printf '{"accept": true, "acq": "%s", "file": "%s"}\n' "$acq" "$file"
