#!/bin/bash
# The deb's after-remove: electron-builder's own (app-builder-lib/templates/linux/
# after-remove.tpl) first, unchanged, then what after-install.sh added for reclaimd.

# Delete the link to the binary
# update-alternatives --remove <name> <path>: 'path' must be the registered alternative binary,
# not the generic symlink — see https://man7.org/linux/man-pages/man1/update-alternatives.1.html
if type update-alternatives >/dev/null 2>&1; then
    update-alternatives --remove '${executable}' '/opt/${sanitizedProductName}/${executable}'
else
    rm -f '/usr/bin/${executable}'
fi

APPARMOR_PROFILE_DEST='/etc/apparmor.d/${executable}'

# Remove and unload apparmor profile.
if [ -f "$APPARMOR_PROFILE_DEST" ]; then
  # Unload the profile from the running kernel before deleting the file so the
  # policy is not left enforced until the next reboot.  Mirror the chroot guard
  # used in the after-install script — live AppArmor operations are not
  # meaningful inside a chroot.
  # https://wiki.debian.org/AppArmor/HowToUse
  if apparmor_status --enabled > /dev/null 2>&1; then
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --remove "$APPARMOR_PROFILE_DEST" || true
    fi
  fi
  rm -f "$APPARMOR_PROFILE_DEST"
fi
# reclaimd: the command-line link and the agent's unit (stopped first), on removal only:
# an upgrade also runs this script ("upgrade") and must leave the service as it was.
# The group stays: its members were added by an administrator.
case "$1" in
  remove|purge)
    rm -f '/usr/bin/reclaimd-cli'
    if [ -f /lib/systemd/system/reclaimd.service ]; then
      systemctl disable --now reclaimd.service 2>/dev/null || true
      rm -f /lib/systemd/system/reclaimd.service
      systemctl daemon-reload 2>/dev/null || true
    fi
    ;;
esac
