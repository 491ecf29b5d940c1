#!/usr/bin/env bash
# The browser the web page tests drive: Debian's own Chromium and its driver, never a
# browser downloaded by a test tool. Installs them when /usr/bin/chromium is missing
# (CI's fresh machine); does nothing when they are there.
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: /usr/bin/chromium is missing and there is no apt-get here;" \
         "install Chromium and chromedriver, or set CRM_PULSE_CHROMIUM and" \
         "CRM_PULSE_CHROMEDRIVER to where they are" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "install-browser: installing chromium and chromium-driver from Debian's packages"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium chromium-driver
/usr/bin/chromium --version
