#!/usr/bin/env bash
# Machine-checked style (STYLE.md): no sprintf/strcpy/strcat/gets, no file over
# 1,500 lines, no function over 200 lines. Prints every finding; exits 1 on any.
set -u
cd "$(dirname "$0")/.."
fail=0
files=$(git ls-files -co --exclude-standard '*.c' '*.h' | grep -v -E '^(tests/fuzz/corpus|web/vendor|build)' || true)
[ -n "$files" ] || { echo "style: no C files"; exit 0; }

banned=$(grep -n -E '\b(sprintf|vsprintf|strcpy|strcat|gets)\s*\(' $files | grep -v -E '//.*\b(sprintf|strcpy|strcat|gets)\b|/\*.*\b(sprintf|strcpy|strcat|gets)\b' || true)
if [ -n "$banned" ]; then echo "style: banned calls (use snprintf or bounded copies):"; echo "$banned"; fail=1; fi

for f in $files; do
  n=$(wc -l <"$f")
  if [ "$n" -gt 1500 ]; then echo "style: $f has $n lines (max 1500)"; fail=1; fi
done

# Functions: a definition starts at column 0 with '... name(...) {' and ends at a '}' in column 0.
long=$(awk '
  FNR == 1 { infn = 0 }
  !infn && /^[A-Za-z_][A-Za-z0-9_ \*\t,()]*\(.*\)[ \t]*\{[ \t]*$/ && !/^(struct|enum|union|typedef|static const|const)[^(]*=/ {
    infn = 1; start = FNR; name = $0; next }
  infn && /^\}/ { len = FNR - start + 1; if (len > 200) printf "%s:%d: function of %d lines (max 200): %s\n", FILENAME, start, len, name; infn = 0 }
' $files)
if [ -n "$long" ]; then echo "$long"; fail=1; fi

if [ $fail -eq 0 ]; then echo "style: OK ($(echo "$files" | wc -l) files)"; fi
exit $fail
