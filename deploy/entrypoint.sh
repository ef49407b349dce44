#!/bin/sh
# The image's entry point: `koschei-admin …` and `koschei …` run as given, anything else is a
# `koschei` command (backend, frontend, demo, …).
case "$1" in
  koschei | koschei-admin) exec "$@" ;;
  *) exec koschei "$@" ;;
esac
