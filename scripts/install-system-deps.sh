#!/usr/bin/env bash
# System packages artifact-gui needs on Debian/Ubuntu: the libraries Qt loads, Xvfb for a
# window without a display (tests, screenshots), and python3-venv/python3-pip so that
# README's commands can make a virtual environment on a Python that refuses system-wide
# installs (PEP 668, "externally-managed-environment"); a C compiler and Python's headers, so
# that `pip install` builds the MD5 extension that verifies downloads faster (setup.py; without
# them the install still works and downloads verify with hashlib).
set -euo pipefail

PACKAGES=(
    python3-venv python3-pip
    gcc libc6-dev python3-dev
    libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
    libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0
    libxcb-randr0 libxcb-render-util0 libxcb-image0 xvfb xauth fonts-dejavu-core
)
APT_LOCKS=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock)
LOCK_WAIT_SECONDS=300

say() { printf '==> %s\n' "$*"; }

# Who holds apt's lock, as "PID (command line)"; empty when nobody does.
apt_lock_holder() {
    # One `find` over every process's open files (-lname matches a link's target); a readlink
    # per descriptor would start thousands of processes.
    local lock fd pid
    for lock in "${APT_LOCKS[@]}"; do
        fd=$(find /proc/[0-9]*/fd -maxdepth 1 -lname "$lock" -print -quit 2>/dev/null || true)
        if [ -n "$fd" ]; then
            pid=${fd#/proc/}
            pid=${pid%%/*}
            printf '%s (%s) holds %s' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | sed 's/ $//')" "$lock"
            return
        fi
    done
}

main() {
    if ! command -v apt-get >/dev/null 2>&1; then
        say "no apt-get here (not Debian/Ubuntu): install Qt's xcb libraries (libxcb-cursor0 and friends),"
        say "Xvfb and Python's venv module with your package manager, then run the next command."
        exit 0
    fi

    missing=()
    for package in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        say "system packages: all ${#PACKAGES[@]} already installed"
        exit 0
    fi

    if [ "$(id -u)" -ne 0 ]; then
        say "installing ${missing[*]} needs root: asking sudo"
        exec sudo bash "$0" "$@"
    fi

    holder=$(apt_lock_holder)
    if [ -n "$holder" ]; then
        say "apt is busy: process $holder."
        say "Waiting up to ${LOCK_WAIT_SECONDS}s for it to finish (often unattended-upgrades after boot);"
        say "or stop it, or press Ctrl+C and run this script again later."
    fi

    export DEBIAN_FRONTEND=noninteractive
    APT=(apt-get -o "DPkg::Lock::Timeout=$LOCK_WAIT_SECONDS")
    say "updating the package lists (apt-get update)"
    if ! "${APT[@]}" update -q; then
        holder=$(apt_lock_holder)
        [ -z "$holder" ] || say "apt is still busy: process $holder"
        exit 1
    fi
    say "installing ${#missing[@]} packages: ${missing[*]}"
    if ! "${APT[@]}" install -y -q --no-install-recommends "${missing[@]}"; then
        holder=$(apt_lock_holder)
        [ -z "$holder" ] || say "apt is still busy: process $holder"
        exit 1
    fi
    say "system packages installed"
}

# Sourced (by tests), it only defines the functions above.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    main "$@"
fi
