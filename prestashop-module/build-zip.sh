#!/bin/sh
# Builds dist/ocpizza.zip, installable by upload in PrestaShop's back office: the folder ocpizza/ at the zip root,
# nothing else (no tests, no dev files). Needs `zip` (Debian package: zip).
# Usage: prestashop-module/build-zip.sh [output.zip]   (default: dist/ocpizza.zip at the repository root)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$root/dist/ocpizza.zip}
case $out in /*) ;; *) out=$(pwd)/$out ;; esac
command -v zip >/dev/null 2>&1 || { echo "build-zip.sh: zip is missing (apt-get install -y zip)" >&2; exit 1; }
for f in $(find "$here/ocpizza" -name '*.php'); do
    php -l "$f" >/dev/null || { echo "build-zip.sh: syntax error in $f" >&2; exit 1; }
done
mkdir -p "$(dirname "$out")"
rm -f "$out"
cd "$here"
# -X: no extra file attributes; exclusions are belt and braces (nothing of the kind lives in ocpizza/).
zip -q -r -X "$out" ocpizza -x 'ocpizza/tests/*' 'ocpizza/vendor/bin/*' '*.DS_Store' '*~' '*.swp' 'ocpizza/.*'
echo "$out"
