# Sourced by the benchmarks: timing and reporting helpers.
#   now                          wall clock, seconds with ns
#   timed OUT DIR CMD…           runs CMD in DIR (stdout and stderr to OUT), prints its seconds;
#                                on failure prints OUT's tail and exits 1
#   clean_timed OUT DIR CMD…     the same after `cargo clean` in DIR
#   median N…                    the median of the numbers
#   summary OUT                  the last `kiln:` summary line in OUT, without "— … saved"
now() { date +%s.%N; }
timed() {
  local out=$1 dir=$2; shift 2
  local t0 t1
  t0=$(now)
  (cd "$dir" && "$@") >"$out" 2>&1 || { tail -20 "$out" >&2; exit 1; }
  t1=$(now)
  echo "$t1 - $t0" | bc
}
clean_timed() {
  (cd "$2" && cargo clean -q)
  timed "$@"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
summary() { grep -h '^kiln:' "$1" | tail -1 | sed 's/ — .*//'; }
