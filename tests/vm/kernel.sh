# shellcheck shell=bash
# Sourced by tests/vm/run: the stock Debian kernel, fetched once and cached
# under target/vm-cache/.

# --- kernel ------------------------------------------------------------------

# The newest kernel unpacked by an earlier run (for when apt cannot help).
cached_kernel() {
  find "$cache" -mindepth 2 -maxdepth 2 -path "$cache/linux-image-*/.ready" -printf '%h\n' 2>/dev/null |
    sort -V | tail -n1
}

use_cached_kernel() {
  kroot=$(cached_kernel)
  [ -n "$kroot" ] || die "$1, and no kernel is cached in ${cache#"$workspace/"}"
  kver=$(basename "$kroot")
  kver=${kver#linux-image-}
  log "$1; using the cached kernel $kver"
}

# The package linux-image-cloud-amd64 depends on, or nothing.
kernel_package() {
  apt-cache depends linux-image-cloud-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n1 || true
}

# Sets kver and kroot (the unpacked package, depmod run); downloads only
# when that package is not cached yet.
fetch_kernel() {
  mkdir -p "$cache"
  local pkg deb
  pkg=$(kernel_package)
  if [ -z "$pkg" ]; then
    apt-get update -qq >/dev/null 2>&1 || true
    pkg=$(kernel_package)
  fi
  [ -n "$pkg" ] || { use_cached_kernel "apt-cache cannot resolve linux-image-cloud-amd64"; return 0; }
  kver=${pkg#linux-image-}
  kroot="$cache/$pkg"
  if [ -f "$kroot/.ready" ]; then
    log "kernel $kver (cached)"
    return 0
  fi
  deb=$(find "$cache" -maxdepth 1 -name "${pkg}_*.deb" | head -n1)
  if [ -z "$deb" ]; then
    log "apt-get download $pkg"
    if ! (cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null) &&
      ! (apt-get update -qq >/dev/null 2>&1 && cd "$cache" &&
        apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null); then
      use_cached_kernel "apt-get download $pkg failed"
      return 0
    fi
    deb=$(find "$cache" -maxdepth 1 -name "${pkg}_*.deb" | head -n1)
  fi
  rm -rf "${kroot:?}"
  dpkg-deb -x "$deb" "$kroot"
  rm -rf "${kroot:?}/usr/share"
  depmod -b "$kroot" "$kver"
  [ -f "$kroot/boot/vmlinuz-$kver" ] || die "no vmlinuz-$kver in $deb"
  touch "$kroot/.ready"
  # Keep only this kernel (its package and unpacked tree).
  local old
  for old in "$cache"/linux-image-*; do
    case "$old" in "$kroot" | "$deb") ;; *) rm -rf "$old" ;; esac
  done
}
