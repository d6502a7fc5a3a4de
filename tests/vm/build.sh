# shellcheck shell=bash
# Sourced by tests/vm/run: the tools the lane needs, and the release build of nslab
# and the test binaries.

# --- tools -------------------------------------------------------------------

ensure_tools() {
  local missing=() p
  for p in qemu-system-x86 busybox-static kmod cpio; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
}

# --- build ---------------------------------------------------------------------

# Sets nslab_exe; fills tests_found with "name<TAB>executable<TAB>package
# dir" lines, one per test executable (lib, test and bin unit-test targets).
# With --message-format=json cargo prints compiler errors only as JSON, so
# a failed build is run again plainly to show them.
build() {
  log "cargo build --release --bin nslab"
  nslab_exe=$(cd "$workspace" && cargo build --release --bin nslab --message-format=json |
    sed -n 's/.*"reason":"compiler-artifact".*"target":{"kind":\["bin"\][^}]*"name":"nslab".*"executable":"\([^"]*\)".*/\1/p' |
    tail -n1) || { (cd "$workspace" && cargo build --release --bin nslab); die "cargo build failed"; }
  [ -x "$nslab_exe" ] || die "cargo build --bin nslab named no executable"
  log "cargo test --release --no-run"
  local json line kind tname exe manifest pkgid pkg name
  json=$(cd "$workspace" && cargo test --release --workspace --no-run --message-format=json) ||
    { (cd "$workspace" && cargo test --release --workspace --no-run); die "cargo test --no-run failed"; }
  tests_found=""
  while IFS= read -r line; do
    case "$line" in *'"reason":"compiler-artifact"'*'"executable":"'*) ;; *) continue ;; esac
    kind=$(sed -n 's/.*"target":{"kind":\["\([^"]*\)".*/\1/p' <<<"$line")
    tname=$(sed -n 's/.*"target":{[^}]*"name":"\([^"]*\)".*/\1/p' <<<"$line")
    exe=$(sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' <<<"$line")
    manifest=$(sed -n 's/.*"manifest_path":"\([^"]*\)".*/\1/p' <<<"$line")
    pkgid=$(sed -n 's/.*"package_id":"\([^"]*\)".*/\1/p' <<<"$line")
    case "$kind" in
      test | lib) ;;
      bin) sed -n 's/.*"profile":{\([^}]*\)}.*/\1/p' <<<"$line" | grep -q '"test":true' || continue ;;
      *) continue ;;
    esac
    # path+file:///dir#name@1.0 (or path+file:///dir/name#1.0)
    pkg=${pkgid#*#}
    pkg=${pkg%@*}
    case "$pkg" in [0-9]*) pkg=$(basename "${pkgid%%#*}") ;; esac
    case "$kind" in
      lib) name="$pkg-lib" ;;
      bin) name="$pkg-bin-$tname" ;;
      *) name="$pkg-$tname" ;;
    esac
    tests_found+="$name"$'\t'"$exe"$'\t'"$(dirname "$manifest")"$'\n'
  done <<<"$json"
  [ -n "$tests_found" ] || die "cargo built no test executables"
}
