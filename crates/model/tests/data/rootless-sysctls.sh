#!/bin/sh
# Regenerates rootless-sysctls.txt: what the running kernel lets the root of
# a user namespace write in a network namespace that user namespace owns
# (a rootless lab's node), for every key under /proc/sys/net.
#
#   sudo sh crates/model/tests/data/rootless-sysctls.sh > crates/model/tests/data/rootless-sysctls.txt
#
# Run as root (to list the first namespace's keys and to drop to nobody);
# it changes nothing outside namespaces it makes: each key is written with
# the value it already has, inside a fresh user + network namespace.
# Verdicts:
#   writable  the namespace's owner can write it
#   readonly  shown in the lab's namespace, but writing fails (EPERM)
#   hidden    a root-owned new namespace has it, a user-owned one does not
#   global    only the machine's first namespace has it (not per namespace)
#   groups    the value is a range of group ids; "0 0" (the one mapped
#             group) is taken, "1 0" (the default) is not
set -eu
dir=$(mktemp -d)
chmod 755 "$dir"
trap 'rm -rf "$dir"' EXIT
keys() { (cd /proc/sys/net && find . -type f | sed 's|^\./||' | tr / . | sort); }
keys | grep -vE '^ipv[46]\.(conf|neigh)\.' > "$dir/first"
unshare -n sh -c 'cd /proc/sys/net && find . -type f | sed "s|^\./||" | tr / . | sort' > "$dir/rootowned"
cat > "$dir/probe" <<'PROBE'
cd /proc/sys/net
find . -type f | sed 's|^\./||' | sort | while read -r f; do
  k=$(echo "$f" | tr / .)
  case "$k" in
    ipv4.ping_group_range)
      if { printf '0 0\n' > "$f"; } 2>/dev/null && ! { printf '1 0\n' > "$f"; } 2>/dev/null
      then echo "$k groups"; else echo "$k unexpected"; fi
      continue ;;
  esac
  if v=$(cat "$f" 2>/dev/null); then :; else
    # write-only (route flush) or unset (stable_secret): write a value it takes
    case "$k" in *.flush) v=1 ;; *.stable_secret) v=::1:2:3:4 ;; *) v= ;; esac
  fi
  if { printf '%s\n' "$v" > "$f"; } 2>/dev/null; then echo "$k writable"; else echo "$k readonly"; fi
done
PROBE
chmod 644 "$dir/probe"
setpriv --reuid 65534 --regid 65534 --clear-groups unshare -Urn sh "$dir/probe" > "$dir/user"
cut -d' ' -f1 "$dir/user" > "$dir/userkeys"
echo "# what a user namespace's root may write in its network namespace, on $(uname -r) (made by rootless-sysctls.sh)"
{
  sed 's/^/net./' "$dir/user"
  comm -23 "$dir/rootowned" "$dir/userkeys" | sed 's/^\(.*\)$/net.\1 hidden/'
  comm -23 "$dir/first" "$dir/rootowned" | sed 's/^\(.*\)$/net.\1 global/'
} | sort
