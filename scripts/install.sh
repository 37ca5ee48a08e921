#!/usr/bin/env bash
# Installs the operator next to k3s on a VM: the binary, a hardened systemd unit and an environment
# file for its flags and the registration token (docs in README.md, "On a k3s VM").
#
# usage: scripts/install.sh [--binary PATH] [--kubeconfig PATH] [--install-crds] [--root DIR]
#        scripts/install.sh --uninstall [--purge] [--root DIR]
#   --binary       the operator for this machine (default: dist/vworkspace-operator of this checkout)
#   --kubeconfig   what the unit runs with (default /etc/rancher/k3s/k3s.yaml, written by k3s)
#   --install-crds the operator server-side applies its CRDs at every start (so upgrades carry them)
#   --root DIR     stage everything below DIR and leave systemctl alone (packaging, tests)
#   --uninstall    stop and remove the unit and the binary; the environment file stays unless --purge
#                  (--purge also removes the state directory)
# Everything is checked before anything is written; a failed check exits 1 and changes nothing.
set -euo pipefail
shopt -s inherit_errexit

readonly NAME=vworkspace-operator
readonly BIN_PATH=/usr/local/bin/$NAME
readonly UNIT_PATH=/etc/systemd/system/$NAME.service
readonly ENV_DIR=/etc/$NAME
readonly ENV_PATH=$ENV_DIR/env
readonly STATE_DIR=/var/lib/$NAME
# Where a booted systemd keeps its runtime directory (the sd_booted() test); tests point it elsewhere.
SYSTEMD_RUNTIME_DIR=${VWS_SYSTEMD_RUNTIME_DIR:-/run/systemd/system}

BINARY="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/dist/$NAME"
KUBECONFIG_PATH=/etc/rancher/k3s/k3s.yaml
INSTALL_CRDS=0 UNINSTALL=0 PURGE=0 ROOT=""
while (($#)); do
  case $1 in
    --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
    --kubeconfig) KUBECONFIG_PATH=${2:?--kubeconfig needs a path}; shift 2 ;;
    --install-crds) INSTALL_CRDS=1; shift ;;
    --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
    --uninstall) UNINSTALL=1; shift ;;
    --purge) PURGE=1; shift ;;
    -h | --help) sed -n '2,13p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "install: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- checks (nothing written yet)

check_root_dir() {
  [[ -z $ROOT ]] && return 0
  [[ -d $ROOT ]] || die "--root $ROOT is not a directory"
  ROOT=$(cd "$ROOT" && pwd)
}

check_systemd() {
  [[ -n $ROOT ]] && return 0
  [[ -d $SYSTEMD_RUNTIME_DIR ]] ||
    die "systemd is not running on this machine ($SYSTEMD_RUNTIME_DIR is missing); the operator's unit needs it (--root DIR stages the files without systemd)"
  command -v systemctl >/dev/null 2>&1 || die "systemctl not found although systemd seems to run"
}

check_privileges() {
  if [[ -n $ROOT ]]; then
    [[ -w $ROOT ]] || die "--root $ROOT is not writable"
  else
    [[ $(id -u) == 0 ]] || die "installing into /usr/local/bin and /etc needs root (sudo), or --root DIR to stage"
  fi
}

check_binary() {
  [[ -f $BINARY ]] || die "binary $BINARY not found (build it with 'npm run build', or pass --binary PATH)"
  [[ -x $BINARY ]] || die "binary $BINARY is not executable"
  local out
  out=$("$BINARY" version 2>&1) || die "binary $BINARY does not run on this machine: ${out:-no output}"
  [[ $out == "$NAME "* ]] || die "$BINARY is not the vworkspace-operator (its 'version' said: $out)"
  BINARY_VERSION=$out
}

check_kubeconfig() {
  local path=$ROOT$KUBECONFIG_PATH
  [[ -e $path ]] || die "kubeconfig $path does not exist (is k3s installed and started? --kubeconfig PATH names another)"
  [[ -f $path ]] || die "kubeconfig $path is not a regular file"
  { : <"$path"; } 2>/dev/null || die "kubeconfig $path is not readable"
  grep -q '^clusters:' "$path" 2>/dev/null || die "kubeconfig $path has no 'clusters:' section; not a kubeconfig"
}

# ---------------------------------------------------------------- files

unit_text() {
  cat <<UNIT
# Installed by vworkspace-operator's scripts/install.sh; reinstalling overwrites this file.
# Local changes belong in a drop-in: systemctl edit $NAME
[Unit]
Description=vWorkspace operator (cluster side, next to k3s)
Documentation=https://github.com/vworkspace-io/vworkspace-operator
After=k3s.service network-online.target
Wants=k3s.service network-online.target

[Service]
Type=simple
Environment=KUBECONFIG=$KUBECONFIG_PATH
UNIT
  ((INSTALL_CRDS)) && echo "Environment=VWS_INSTALL_CRDS=true"
  cat <<UNIT
# Flags as VWS_* variables or in VWS_OPERATOR_ARGS, and the registration token: see that file.
EnvironmentFile=-$ENV_PATH
ExecStart=$BIN_PATH run \$VWS_OPERATOR_ARGS
Restart=always
RestartSec=5s
TimeoutStopSec=30s
StateDirectory=$NAME
StateDirectoryMode=0700
WorkingDirectory=$STATE_DIR
UMask=0077
# Root only to read k3s's kubeconfig (0600); every capability is dropped.
CapabilityBoundingSet=
AmbientCapabilities=
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
# No MemoryDenyWriteExecute: the JavaScript engine's JIT needs writable executable memory.

[Install]
WantedBy=multi-user.target
UNIT
}

env_template() {
  cat <<ENV
# Settings of $NAME.service (mode 0600: it may hold the registration token). Kept on reinstall and
# on --uninstall; removed by --uninstall --purge.
#
# Extra flags for '$NAME run' (every flag: $NAME run --help):
#VWS_OPERATOR_ARGS=--leader-elect --metrics-bind-address=127.0.0.1:8080
# Most flags also read a variable, for example:
#VWS_LOG_LEVEL=info
#VWS_HEALTH_PROBE_BIND_ADDRESS=127.0.0.1:8081
# One-time token for '$NAME register' (read from here, never printed):
#VWORKSPACE_REGISTRATION_TOKEN=
ENV
}

# Writes through a temporary file in the target directory, so a reader sees the old or the new file.
put_file() { # dest mode (content on stdin)
  local dest=$1 mode=$2 tmp
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp "$dest.XXXX")
  cat >"$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$dest"
}

install_all() {
  check_root_dir
  check_systemd
  check_privileges
  check_binary
  check_kubeconfig
  put_file "$ROOT$BIN_PATH" 0755 <"$BINARY"
  unit_text | put_file "$ROOT$UNIT_PATH" 0644
  if [[ -e $ROOT$ENV_PATH ]]; then
    say "kept $ROOT$ENV_PATH"
  else
    env_template | put_file "$ROOT$ENV_PATH" 0600
    chmod 0700 "$ROOT$ENV_DIR"
  fi
  say "installed $BINARY_VERSION as $ROOT$BIN_PATH and $ROOT$UNIT_PATH"
  if [[ -z $ROOT ]]; then
    systemctl daemon-reload
    systemctl enable "$NAME.service"
    systemctl restart "$NAME.service"
    say "started $NAME.service (journalctl -u $NAME -f)"
  fi
}

uninstall_all() {
  check_root_dir
  check_systemd
  check_privileges
  if [[ -z $ROOT ]]; then
    systemctl disable --now "$NAME.service" 2>/dev/null || true
  fi
  rm -f "$ROOT$UNIT_PATH" "$ROOT$BIN_PATH"
  if ((PURGE)); then
    rm -rf "$ROOT$ENV_DIR" "$ROOT$STATE_DIR"
    say "removed the unit, the binary, $ROOT$ENV_DIR and $ROOT$STATE_DIR"
  else
    say "removed the unit and the binary; kept $ROOT$ENV_PATH (--purge removes it)"
  fi
  [[ -n $ROOT ]] || systemctl daemon-reload
}

((PURGE <= UNINSTALL)) || die "--purge goes with --uninstall"
if ((UNINSTALL)); then uninstall_all; else install_all; fi
