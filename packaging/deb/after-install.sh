#!/bin/sh
# Installs the systemd unit for the privileged agent; it is not enabled by default
# (the window starts an unprivileged daemon when no agent runs).
set -e
install -m 0644 /opt/reclaimd/resources/app.asar.unpacked/packaging/systemd/reclaimd.service /lib/systemd/system/reclaimd.service 2>/dev/null || true
systemctl daemon-reload 2>/dev/null || true
