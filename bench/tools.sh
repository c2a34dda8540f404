# Sourced by the benchmarks: installs the Debian packages for the commands they time, when
# missing. Arguments are COMMAND:PACKAGE pairs (or a bare name when both are the same);
# /usr/bin/time (package time) is always wanted, for peak RSS.
need_tools() {
  local need=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
  done
  [ -x /usr/bin/time ] || need+=(time)
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}
