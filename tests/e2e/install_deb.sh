#!/usr/bin/env bash
# The Debian package (make deb): built from this build folder with cpack, its
# declared dependencies cover every library soarctl links or loads with dlopen,
# installed on this machine with apt (as `apt install ./soarctl_*.deb`), then the
# systemd unit's own command lines run as the unit would run them (user soarctl,
# no capabilities, no new privileges, a state directory, the env file): init
# twice (the second a no-op), the daemon takes an alert with a token, the case
# reads back, SIGHUP (ExecReload) reloads, SIGTERM stops it; purged after.
# Needs root (CI runs as root); a machine where a soarctl package is already
# installed is left alone.
. "$(dirname "$0")/lib.bash"
: "${SOAR_BUILD:?set by ctest}" "${SOAR_SRC:?set by ctest}"
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "SKIP: installing the package needs root (and setpriv); CI runs as root"
	exit 0
fi
if dpkg-query -W -f='${Status}' soarctl 2>/dev/null | grep -q installed; then
	echo "SKIP: a soarctl package is already installed on this machine; not touching it"
	exit 0
fi

# The package, from this build.
pkg="$SOAR_TMP/pkg"
expect_exit 0 -- cpack -G DEB --config "$SOAR_BUILD/CPackConfig.cmake" -B "$pkg"
deb=$(ls "$pkg"/soarctl_*.deb 2>/dev/null | head -1)
[ -f "$deb" ] || { echo "FAIL: no package: $out $err"; exit 1; }
depends=$(dpkg-deb -f "$deb" Depends)
# Every library the code opens with dlopen must be declared (shlibdeps sees only
# the linked ones): the owner of each soname named in a dlopen call.
mapfile -t sonames < <(grep -rhoE 'dlopen\("lib[^"]+"' "$SOAR_SRC/runtime" "$SOAR_SRC/sandbox" | sed 's/dlopen("//; s/"$//' | sort -u)
checks=$((checks + 1)); [ "${#sonames[@]}" -ge 3 ] || fail "dlopen sonames found: ${sonames[*]}"
for so in "${sonames[@]}"; do
	owner=$(dpkg-query -S "*/$so" 2>/dev/null | head -1 | sed 's/[:,].*//')
	contains "$depends" "$owner" "Depends (for dlopen of $so)"
done
for lib in libluajit liblmdb0 libmbedcrypto libev4 libedit2 libpcre2-8-0; do
	contains "$depends" "$lib" "Depends (linked)"
done
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/soarctl ./usr/share/soarctl/lua/soarctl.meta.lua ./usr/share/soarctl/playbooks/hello.lua \
	./usr/share/soarctl/integrations/abuseipdb.lua ./usr/lib/systemd/system/soarctl.service \
	./etc/soarctl/soarctl.env ./usr/share/man/man1/soarctl-run.1 \
	./usr/share/bash-completion/completions/soarctl ./usr/share/zsh/vendor-completions/_soarctl; do
	contains "$contents" " $f" "the package's files"
done
contains "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" "/etc/soarctl/soarctl.env" "conffiles"

# Install. A policy-rc.d keeps a systemd on this machine (if any) from starting
# the real unit; what the unit runs is run below by hand.
had_user=$(getent passwd soarctl >/dev/null && echo yes)
had_state=$([ -e /var/lib/soarctl ] && echo yes)
policy=/usr/sbin/policy-rc.d
made_policy=
DPID=
cleanup() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	dpkg --purge soarctl >/dev/null 2>&1
	[ -z "$had_user" ] && getent passwd soarctl >/dev/null && userdel soarctl 2>/dev/null
	[ -z "$had_state" ] && rm -rf /var/lib/soarctl
	[ -n "$made_policy" ] && rm -f "$policy"
	[ -n "${state:-}" ] && rm -rf "$state"
}
trap cleanup EXIT
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && made_policy=yes
fi
expect_exit 0 -- env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	-o DPkg::Lock::Timeout=120 "$deb"
[ "$(dpkg-query -W -f='${Status}' soarctl 2>/dev/null)" = "install ok installed" ] \
	|| { echo "FAIL: not installed: $out $err"; exit 1; }

# What postinst made: a system user without a login, the data and config folders.
pw=$(getent passwd soarctl)
checks=$((checks + 1))
uid=$(echo "$pw" | cut -d: -f3)
[ -n "$uid" ] && [ "$uid" -lt 1000 ] || fail "a system user soarctl: $pw"
contains "$pw" "nologin" "the soarctl user's shell"
is_stat() { checks=$((checks + 1)); [ "$(stat -c '%a %U:%G' "$1")" = "$2" ] || fail "$1: $(stat -c '%a %U:%G' "$1"), want $2"; }
is_stat /var/lib/soarctl "700 soarctl:soarctl"
is_stat /etc/soarctl/soarctl.env "640 root:soarctl"
is_stat /etc/soarctl/playbooks "750 root:soarctl"
expect_exit 0 -- /usr/bin/soarctl version --json
contains "$out" '"lua_dir":"/usr/share/soarctl/lua"' "the installed binary's Lua library"
contains "$out" '"share_from":"installed"' "the installed binary"
page=$(MANPATH=/usr/share/man MANWIDTH=100 man soarctl-run 2>&1)
contains "$page" "soarctl run FILE" "man soarctl-run after installing"

# The unit: hardened as documented, and valid to systemd where it can check.
unit=/usr/lib/systemd/system/soarctl.service
u=$(cat "$unit")
for line in User=soarctl StateDirectory=soarctl ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes \
	"CapabilityBoundingSet=
" "ExecReload=/bin/kill -HUP \$MAINPID" "EnvironmentFile=-/etc/soarctl/soarctl.env"; do
	contains "$u" "$line" "the unit"
done
checks=$((checks + 1))
grep -q "^MemoryDenyWriteExecute=" "$unit" && fail "MemoryDenyWriteExecute: LuaJIT needs executable memory"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify "$unit" >"$SOAR_TMP/verify.log" 2>&1
	checks=$((checks + 1))
	grep -v -e 'Failed to connect' -e 'not running' -e '^$' "$SOAR_TMP/verify.log" | grep -i "soarctl.service" \
		&& fail "systemd-analyze verify: $(cat "$SOAR_TMP/verify.log")"
fi

# The unit's command lines, as systemd would run them: %S a state folder of our
# own, the env file's variables, user soarctl without capabilities or new
# privileges, umask 0077, in the state directory. --listen 127.0.0.1:0 is added
# last (the later option wins) so the test takes a free port.
state=$(mktemp -d /tmp/soarctl-deb-XXXXXX)
chmod 755 "$state"
install -d -o soarctl -g soarctl -m 0700 "$state/soarctl"
unit_cmd() { sed -n "s/^$1=//p" "$unit" | sed "s|%S|$state|g"; }
as_unit() {
	(set -a; . /etc/soarctl/soarctl.env; set +a; cd "$state/soarctl" && umask 0077 &&
	 exec setpriv --reuid=soarctl --regid=soarctl --init-groups --no-new-privs \
		--inh-caps=-all --bounding-set=-all -- "$@")
}
pre=$(unit_cmd ExecStartPre)
start=$(unit_cmd ExecStart)
# shellcheck disable=SC2086 # split like systemd splits the command line
expect_exit 0 -- as_unit $pre
# shellcheck disable=SC2086
expect_exit 0 -- as_unit $pre --json
contains "$out" '"created":false' "ExecStartPre again is a no-op"
TOKEN=$(as_unit /usr/bin/soarctl user token --data "$state/soarctl" --label deb-test 2>/dev/null | tail -1)
checks=$((checks + 1)); [ -n "$TOKEN" ] || fail "a token from the data directory"
log="$SOAR_TMP/serve.log"
opts=$(set -a; . /etc/soarctl/soarctl.env; echo "$SOARCTL_SERVE_OPTS")
contains "$opts" "--playbooks /etc/soarctl/playbooks" "the env file's serve options"
# The daemon's pid is soarctl's own (exec all the way), as systemd's $MAINPID.
(set -a; . /etc/soarctl/soarctl.env; set +a; eval "set -- $start"; cd "$state/soarctl" && umask 0077 &&
 exec setpriv --reuid=soarctl --regid=soarctl --init-groups --no-new-privs \
	--inh-caps=-all --bounding-set=-all -- "$@" --listen 127.0.0.1:0) 2>"$log" &
DPID=$!
serve_wait "$log"
checks=$((checks + 1))
[ "$(ps -o user=,comm= -p "$DPID" | tr -s ' ')" = "soarctl soarctl" ] || fail "the daemon runs as soarctl: $(ps -o user=,comm= -p "$DPID")"
checks=$((checks + 1))
grep -q '^CapBnd:[[:space:]]*0*$' "/proc/$DPID/status" || fail "no capabilities: $(grep Cap "/proc/$DPID/status")"
checks=$((checks + 1))
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$DPID/status" || fail "NoNewPrivs"
code=$(curl -s -o /dev/null -w '%{http_code}' -d '{"type":"connection"}' "$A/api/v1/alerts")
checks=$((checks + 1)); [ "$code" = 401 ] || fail "an alert without a token: $code"
code=$(curl -s -o "$SOAR_TMP/post.out" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	-d '{"type":"connection","src_ip":"203.0.113.7","title":"from the deb test"}' "$A/api/v1/alerts")
checks=$((checks + 1)); [ "$code" = 202 ] || fail "the alert: $code $(cat "$SOAR_TMP/post.out")"
cases=$(curl -s -H "Authorization: Bearer $TOKEN" "$A/api/v1/cases?type=connection")
contains "$cases" "203.0.113.7" "the case read back over HTTP"
expect_exit 0 -- as_unit /usr/bin/soarctl case list --data "$state/soarctl" --json
contains "$out" "connection" "the case read back with the CLI as soarctl"
# ExecReload: SIGHUP to the main process reloads, and the daemon keeps serving.
kill -HUP "$DPID"
for _ in $(seq 50); do grep -q "reloaded" "$log" && break; sleep 0.1; done
contains "$(cat "$log")" "reloaded" "the log after SIGHUP (ExecReload)"
checks=$((checks + 1))
[ "$(curl -s "$A/healthz" -o /dev/null -w '%{http_code}')" = 200 ] || fail "serving after the reload"
lacks "$(cat "$log")" "$TOKEN" "the journal (stderr)"
kill -TERM "$DPID"; wait "$DPID"; rc=$?; DPID=
checks=$((checks + 1)); [ "$rc" = 0 ] || fail "SIGTERM: exit $rc; $(tail -5 "$log")"

# Purge: the files go, the conffile too; the data folder stays (evidence).
expect_exit 0 -- dpkg --purge soarctl
checks=$((checks + 1)); [ ! -e /usr/bin/soarctl ] && [ ! -e /etc/soarctl ] || fail "purge left files"
finish
