#!/usr/bin/env bash
# Message catalogs: English msgids in the code and templates, Vietnamese in vi/.
#
#   scripts/i18n.sh            extract + update + compile (what to run after changing strings)
#   scripts/i18n.sh extract    code and templates -> surveyapp/translations/messages.pot (not committed)
#   scripts/i18n.sh update     messages.pot -> vi/LC_MESSAGES/messages.po (new strings empty,
#                              never guessed from similar ones: --no-fuzzy-matching)
#   scripts/i18n.sh compile    vi .po -> .mo (commit both; the .mo ships in the wheel)
#
# English needs no catalog: the msgids are the English text, and Vietnamese has no plural
# forms to map. tests/unit/test_translations.py fails while a string is untranslated.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=surveyapp/translations
POT=$DIR/messages.pot
LOCALE=vi

if [ -x .venv/bin/pybabel ]; then
  PYBABEL=.venv/bin/pybabel
else
  PYBABEL=pybabel
fi

extract() {
  mkdir -p "$DIR"
  "$PYBABEL" extract -F babel.cfg -k _l -k lazy_gettext \
    --project=surveyapp --version=0.1.0 --copyright-holder="surveyapp" \
    --no-location --sort-output --omit-header \
    -o "$POT" .
}

update() {
  "$PYBABEL" update -i "$POT" -d "$DIR" -l "$LOCALE" --no-fuzzy-matching --init-missing
}

compile() {
  "$PYBABEL" compile -d "$DIR" --statistics
}

if [ $# -eq 0 ]; then
  set -- extract update compile
fi
for step in "$@"; do
  case "$step" in
    extract | update | compile) "$step" ;;
    *)
      echo "usage: $0 [extract] [update] [compile]" >&2
      exit 2
      ;;
  esac
done
