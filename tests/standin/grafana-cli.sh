#!/bin/sh
# Stand-in for the Grafana image's `grafana` binary, its CLI only as far as Symphony uses it:
# `grafana cli admin reset-admin-password --password-from-stdin` reads the new password from the
# first line of stdin (grafana/grafana pkg/cmd/grafana-cli/commands: the flag is a cli.BoolFlag of
# reset-admin-password; reset_password_command.go scans one line of os.Stdin and refuses a
# password shorter than 4 characters). It records what it received under /tmp/grafana-cli so a
# test can prove the configured password arrived, and arrived on stdin only.
set -u
log=/tmp/grafana-cli
mkdir -p "$log"
printf '%s\n' "$*" >> "$log/argv"
if [ "$*" != "cli admin reset-admin-password --password-from-stdin" ]; then
  echo "grafana stand-in: unsupported arguments" >&2
  exit 1
fi
echo "New Password: "
IFS= read -r password || { echo "can't read password from stdin" >&2; exit 1; }
if [ "${#password}" -lt 4 ]; then echo "new password is too short" >&2; exit 1; fi
printf '%s\n' "$password" >> "$log/passwords"
echo "Admin password changed successfully"
