# shellcheck shell=bash
# Sourced by tests/vm/run: booting the image under qemu, the console logged.

# --- boot ---

# Boots the image; the console goes to $console (kept in
# target/vm-cache/logs/, the newest 10 runs).
boot() {
  mkdir -p "$cache/logs"
  console="$cache/logs/console-$(date +%Y%m%d-%H%M%S)-$$.log"
  find "$cache/logs" -name 'console-*.log' -printf '%T@ %p\n' | sort -rn | tail -n +10 |
    cut -d' ' -f2- | xargs -r rm -f
  local fifo="$work/console.fifo" line
  log "booting $kver (timeout ${vm_timeout}s; console: ${console#"$workspace/"})"
  mkfifo "$fifo"
  : >"$console"
  boot_time=""
  vm_start=$EPOCHREALTIME
  timeout -k 5 "$vm_timeout" qemu-system-x86_64 -accel tcg -m 1024 -nographic -no-reboot -nic none \
    -kernel "$kroot/boot/vmlinuz-$kver" -initrd "$work/initramfs.cpio" \
    -append "console=ttyS0 panic=-1 quiet" </dev/null >"$fifo" 2>&1 &
  qemu_pid=$!
  while IFS= read -r line; do
    line=${line%$'\r'}
    printf '%s\n' "$line" >>"$console"
    [ "$verbose" = 1 ] && printf '%s\n' "$line" >&2
    if [ -z "$boot_time" ]; then
      case "$line" in "$marker TEST "* | "$marker BEGIN "*) boot_time=$(since "$vm_start") ;; esac
    fi
  done <"$fifo"
  local rc=0
  wait "$qemu_pid" || rc=$?
  qemu_pid=""
  vm_time=$(since "$vm_start")
  [ $rc -eq 124 ] && log "qemu killed after ${vm_timeout}s"
  return 0
}
