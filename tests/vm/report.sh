# shellcheck shell=bash
# Sourced by tests/vm/run: reading the console: one line per test, then the totals.

# --- report ---

# Prints the output of what failed, one line per test, the times and the
# totals; exits 1 on any failure or when the result marker is missing.
report() {
  awk -v M="$marker" -v boot="${boot_time:-none}" -v vm="$vm_time" -v lane="$(since "$lane_start")" '
    function record(name, result) {
      n++; names[n] = name; results[n] = result
      if (result == "ok") passed++; else if (result == "FAILED") failed++; else skipped++
    }
    function detail(title, text) { details = details "\n---- " title " ----\n" text }
    { sub(/\r$/, ""); tail[NR % 60] = $0 }
    # (the first line carries terminal escapes from the firmware)
    (i = index($0, M " ")) > 1 { $0 = substr($0, i) }
    index($0, M " ") == 1 {
      split($0, f, " ")
      if (f[2] == "TEST") {
        record(f[3], f[4])
        if (f[4] != "ok") detail(f[3], block)
        block = ""; next
      }
      if (f[2] == "BEGIN") { bin = f[3]; block = ""; inbin = 1; fails = 0; sect = 0; sum = 0; got = 0; pend = ""; next }
      if (f[2] == "END") {
        rc = f[4]
        if (rc != 0 && fails == 0) record(bin "::(binary exited " rc ")", "FAILED")
        else if (sum && got != sum_n) record(bin "::(" sum_n - got " result(s) not parsed)", "FAILED")
        else if (!sum) record(bin "::(no libtest summary)", "FAILED")
        if (rc != 0 || fails) detail("output of " bin, block)
        inbin = 0; block = ""; next
      }
      if (f[2] == "DMESG") { indmesg = 1; nk = 0; next }
      if (f[2] == "DONE") { done = 1; indmesg = 0; next }
      next
    }
    indmesg { kern[++nk] = $0; next }
    { block = block $0 "\n" }
    !inbin { next }
    $0 == "failures:" { sect = 1 }
    !sect && match($0, /^test [^ ]+ \.\.\. /) {
      t = $2; rest = substr($0, RLENGTH + 1)
      if (rest ~ /^(ok|FAILED|ignored)/) { split(rest, r, " "); res = r[1]; pend = "" }
      else { pend = t; next }
    }
    # A child that wrote straight to the console came between the name and
    # the result: the result is a line of its own.
    !sect && pend != "" && /^(ok|FAILED|ignored)$/ { t = pend; res = $0; pend = "" }
    res != "" {
      got++
      if (res == "FAILED") fails++
      record(bin "::" t, res == "ignored" ? "skipped" : res)
      res = ""; next
    }
    /^test result: / {
      sum = 1; sum_n = 0
      for (i = 1; i < NF; i++) if ($(i+1) ~ /^(passed|failed|ignored);?$/) sum_n += $i
    }
    END {
      if (inbin) { record(bin "::(did not finish)", "FAILED"); detail("output of " bin, block) }
      if (!done) {
        record("vm::result_marker (the VM did not come back)", "FAILED")
        text = ""
        for (i = (NR > 59 ? NR - 59 : 1); i <= NR; i++) text = text tail[i % 60] "\n"
        detail("console (tail)", text)
      }
      if (failed && nk) {
        text = ""
        for (i = (nk > 40 ? nk - 39 : 1); i <= nk; i++) text = text kern[i] "\n"
        detail("kernel log (tail)", text)
      }
      if (details != "") printf "%s\n", details
      for (i = 1; i <= n; i++) printf "%-7s %s\n", results[i], names[i]
      if (vm != "")
        printf "boot %s (qemu start to first test line), VM %ss, lane %ss\n", boot == "none" ? "n/a" : boot "s", vm, lane
      printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped
      exit(failed > 0 || !done)
    }
  ' "$console"
}
