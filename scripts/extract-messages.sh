#!/usr/bin/env bash
# Extract translatable messages (Python and Jinja2 templates) into messages.pot, merge them into the es and en
# catalogs, and compile the .mo files. Commit the .pot, .po and .mo files together.
#   scripts/extract-messages.sh            extract + update + compile
#   scripts/extract-messages.sh compile    compile only (after editing a .po file)
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
SRC=src/momentos
LOCALE="$SRC/locale"

if [ "${1:-}" != "compile" ]; then
  "$PYBABEL" -q extract -F "$LOCALE/babel.cfg" -k N_ -k Reason:1 -c TRANSLATORS: --no-wrap --sort-by-file \
    --project=Momentos --version=0.1 --copyright-holder="The Momentos authors" \
    -o "$LOCALE/messages.pot" "$SRC"
  # English is the source language: its msgstrs stay empty (gettext falls back to the msgid), so no fuzzy guesses.
  "$PYBABEL" -q update --init-missing --ignore-obsolete --no-wrap --no-fuzzy-matching \
    -i "$LOCALE/messages.pot" -d "$LOCALE" -l en
  # Spanish: new or changed messages come out untranslated or fuzzy; translate them, then run "compile".
  "$PYBABEL" -q update --init-missing --ignore-obsolete --no-wrap -i "$LOCALE/messages.pot" -d "$LOCALE" -l es
fi
"$PYBABEL" compile --statistics -d "$LOCALE"
