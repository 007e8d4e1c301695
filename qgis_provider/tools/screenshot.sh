#!/usr/bin/env bash
# Screenshots of the four algorithm dialogs, as QGIS shows them (under Xvfb, fresh profile).
# Usage: qgis_provider/tools/screenshot.sh BUILD_DIR OUT_DIR    (needs qgis, xvfb)
set -euo pipefail
build="$(cd "$1" && pwd)"; out="$(mkdir -p "$2" && cd "$2" && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/profiles/default/QGIS"
cat > "$tmp/profiles/default/QGIS/QGIS3.ini" <<INI
[PythonPlugins]
pjd_provider=true

[Processing]
Configuration\PJD_EXECUTABLE=$build/bin/pjd
INI
cat > "$tmp/shot.py" <<PY
from qgis.PyQt.QtCore import QTimer
from qgis.core import QgsApplication
import processing

def shoot():
    for alg in ('detect', 'catalogquery', 'overlay', 'audit'):
        dlg = processing.createAlgorithmDialog('pjd:' + alg, {})
        if dlg is None:
            open('$out/errors.txt', 'a').write('no dialog for pjd:%s\n' % alg)
            continue
        dlg.resize(1000, 760)
        dlg.show()
        QgsApplication.processEvents()
        dlg.grab().save('$out/qgis-%s-dialog.png' % alg)
        dlg.close()
    QTimer.singleShot(500, QgsApplication.exit)

QTimer.singleShot(10000, shoot)
PY
QGIS_PLUGINPATH="$build/qgis_provider" timeout 180 xvfb-run -a -s "-screen 0 1400x1000x24" \
  /usr/bin/qgis --nologo --noversioncheck --profiles-path "$tmp" --code "$tmp/shot.py" >/dev/null 2>&1
ls "$out"/qgis-*-dialog.png
