# shellcheck shell=bash
# Sourced by tests/vm/run: the image the VM boots (busybox, modules, nslab, the
# test binaries with VM-only tests, the sources' data, tests/vm/init).

# --- initramfs -----------------------------------------------------------------

# Copies an executable and the shared libraries it links (as ldd lists them,
# the dynamic loader included) into the image.
copy_exe() {
  local src=$1 dest=$2 lib
  install -D -m 0755 "$src" "$root$dest"
  while read -r lib; do
    [ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
  done < <(ldd "$src" 2>/dev/null | grep -o '/[^ )]*' || true)
}

build_initramfs() {
  root="$work/root"
  mkdir -p "$root"/{bin,dev,proc,sys,run,tmp,root,usr,nslab/bin,nslab/tests,etc}
  ln -s bin "$root/sbin"
  ln -s ../bin "$root/usr/bin"
  ln -s ../bin "$root/usr/sbin"

  # busybox and its applets
  local bb applet
  bb=$(command -v busybox) || die "busybox not found"
  cp "$bb" "$root/bin/busybox"
  for applet in $("$bb" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
  done
  # /bin/sh: the host's dash, because busybox's sh runs its own applets
  # (ip, unshare, ...) before PATH, and `sh -c "ip ..."` must find iproute2.
  if [ -x /bin/dash ]; then
    rm "$root/bin/sh"
    copy_exe /bin/dash /bin/sh
  fi
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"

  # iproute2 for cross-checks (tests call `ip netns`, busybox's ip has none)
  local tool
  for tool in ip tc bridge nft; do
    command -v "$tool" >/dev/null && copy_exe "$(command -v "$tool")" "/nslab/bin/$tool"
  done
  [ -d /usr/lib/x86_64-linux-gnu/tc ] && mkdir -p "$root/usr/lib/x86_64-linux-gnu" &&
    cp -r /usr/lib/x86_64-linux-gnu/tc "$root/usr/lib/x86_64-linux-gnu/"

  # modules with their dependencies, then depmod for the image's tree
  local m dep
  local -A seen=()
  mkdir -p "$root/lib/modules/$kver"
  cp "$kroot/lib/modules/$kver"/modules.{builtin,builtin.modinfo,order} "$root/lib/modules/$kver/"
  for m in "${modules_required[@]}" "${modules_optional[@]}"; do
    while read -r dep; do
      [ -n "${seen[$dep]:-}" ] && continue
      seen[$dep]=1
      install -D -m 0644 "$dep" "$root/lib/modules/$kver/${dep#"$kroot/lib/modules/$kver/"}"
    done < <(modprobe --show-depends -d "$kroot" -S "$kver" "$m" 2>/dev/null | sed -n 's/^insmod \([^ ]*\).*/\1/p')
  done
  for m in "${modules_required[@]}"; do
    modprobe --show-depends -d "$kroot" -S "$kver" "$m" >/dev/null 2>&1 || die "kernel $kver has no module $m"
  done
  depmod -b "$root" "$kver"
  printf '%s\n' "${modules_required[@]}" >"$root/nslab/modules.required"
  printf '%s\n' "${modules_optional[@]}" >"$root/nslab/modules.optional"

  # nslab and the test binaries that have VM-only (#[ignore]d) tests
  copy_exe "$nslab_exe" /nslab/bin/nslab
  local name exe dir n
  : >"$root/nslab/tests.list"
  while IFS=$'\t' read -r name exe dir; do
    [ -n "$name" ] || continue
    if [ -n "$filter" ]; then
      n=$("$exe" --list --ignored "$filter" 2>/dev/null | grep -c ': test$' || true)
    else
      n=$("$exe" --list --ignored 2>/dev/null | grep -c ': test$' || true)
    fi
    [ "$n" -gt 0 ] || continue
    copy_exe "$exe" "/nslab/tests/$name"
    # The workspace is copied to /nslab/src (its own path may be under
    # /tmp, which the VM's init covers with a tmpfs).
    printf '%s\t%s\n' "$name" "/nslab/src${dir#"$workspace"}" >>"$root/nslab/tests.list"
    log "test binary $name: $n VM test(s)"
  done <<<"$tests_found"
  # The sources' data (examples, fixtures), at /nslab/src and as NSLAB_*
  # paths (the workspace's own path may be under /tmp, a tmpfs in the VM).
  mkdir -p "$root/nslab/src"
  (cd "$workspace" && tar --exclude=./target --exclude=./.git -cf - .) | tar -xf - -C "$root/nslab/src"
  {
    echo "export NSLAB_EXAMPLES=/nslab/src/examples"
    echo "export NSLAB_FIXTURES=/nslab/src/tests/fixtures"
  } >"$root/nslab/env"
  printf '%s\n' "$filter" >"$root/nslab/filter"
  printf '%s\n' "$binary_timeout" >"$root/nslab/timeout"
  install -m 0755 "$here/init" "$root/init"

  (cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) >"$work/initramfs.cpio"
  log "initramfs $(du -h "$work/initramfs.cpio" | cut -f1)"
}
