"""The same algorithms through `qgis_process.bin --json run pjd:...` with an isolated profile
(Debian's /usr/bin/qgis_process wrapper is broken in 3.22: call the .bin directly)."""
import json
import os
import subprocess

import pytest
from conftest import DETECT_SETTINGS, PJD, PLUGIN_DIR, QGIS_PROCESS, pjd_json

from qgis.core import QgsVectorLayer


@pytest.fixture(scope='module')
def qp(session_tmp):
    """Runs qgis_process.bin in a fresh profile where only our plugin is enabled and the
    Processing setting names the pjd under test."""
    profile = os.path.join(session_tmp, 'qgis_process-profile')
    env = dict(os.environ, QGIS_CUSTOM_CONFIG_PATH=profile, QGIS_PLUGINPATH=PLUGIN_DIR, QT_QPA_PLATFORM='offscreen',
               PJD_CATALOG=os.path.join(session_tmp, 'qp-default.gpkg'))

    def run(*args):
        return subprocess.run([QGIS_PROCESS, *map(str, args)], env=env, capture_output=True, text=True,
                              timeout=300)

    r = run('plugins', 'enable', 'pjd_provider')
    assert r.returncode == 0, r.stdout + r.stderr
    from qgis.PyQt.QtCore import QSettings
    ini = QSettings(os.path.join(profile, 'profiles', 'default', 'QGIS', 'QGIS3.ini'), QSettings.IniFormat)
    ini.setValue('Processing/Configuration/PJD_EXECUTABLE', PJD)
    ini.sync()
    return run


def run_json(qp, alg, **params):
    r = qp('--json', 'run', alg, '--', *[f'{k}={v}' for k, v in params.items()])
    return r, (json.loads(r.stdout[r.stdout.index('{'):]) if r.returncode == 0 else None)


def test_listed(qp):
    r = qp('list')
    assert r.returncode == 0
    for alg in ('pjd:detect', 'pjd:catalogquery', 'pjd:overlay', 'pjd:audit'):
        assert alg in r.stdout, r.stdout[-2000:]
    h = qp('help', 'pjd:detect')
    assert 'N_BURST' in h.stdout and 'Bursts per sub-swath' in h.stdout


def test_detect_overlay_query_audit(qp, stack, session_tmp):
    out = os.path.join(session_tmp, 'qp')
    os.makedirs(out)
    catalog = os.path.join(out, 'catalog.gpkg')
    r, doc = run_json(qp, 'pjd:detect', STACK=stack, CATALOG=catalog, OUTPUT_FOLDER=os.path.join(out, 'result'),
                      SEAMS=os.path.join(out, 'seams.gpkg'), PAIRS=os.path.join(out, 'pairs.gpkg'),
                      EXCLUDED_DATES=os.path.join(out, 'dates.gpkg'), **DETECT_SETTINGS)
    assert r.returncode == 0, r.stderr
    res = doc['results']
    summary = json.load(open(res['SUMMARY_JSON']))
    run_id = int(res['RUN_ID'])
    seams = QgsVectorLayer(res['SEAMS'], 'seams', 'ogr')
    assert seams.isValid() and seams.featureCount() == len(summary['seams']) == 3
    assert QgsVectorLayer(res['PAIRS'], 'pairs', 'ogr').featureCount() == len(summary['pairs'])
    assert QgsVectorLayer(res['EXCLUDED_DATES'], 'd', 'ogr').featureCount() == len(summary['excluded_dates'])
    assert [int(x['run']) for x in pjd_json('catalog', 'runs', '--catalog', catalog)['rows']] == [run_id]

    r, doc = run_json(qp, 'pjd:overlay', RUN=run_id, CATALOG=catalog, CRS='EPSG:3857',
                      OUTPUT=os.path.join(out, 'overlay.gpkg'))
    assert r.returncode == 0, r.stderr
    lyr = QgsVectorLayer(doc['results']['OUTPUT'], 'o', 'ogr')
    assert lyr.isValid() and lyr.crs().authid() == 'EPSG:3857' and lyr.featureCount() == 3

    r, doc = run_json(qp, 'pjd:catalogquery', QUERY=2, RUN=run_id, CATALOG=catalog,
                      OUTPUT=os.path.join(out, 'pairs-query.csv'))
    assert r.returncode == 0, r.stderr
    want = pjd_json('catalog', 'pairs', '--run', run_id, '--catalog', catalog)
    assert doc['results']['ROW_COUNT'] == len(want['rows']) == len(summary['pairs'])

    r, doc = run_json(qp, 'pjd:audit', ROOT=os.path.dirname(os.path.dirname(stack)), N_BURST=4, CMIN=0.3,
                      CATALOG=os.path.join(out, 'audit.gpkg'), OUTPUT=os.path.join(out, 'audit-summary.csv'))
    assert r.returncode == 0, r.stderr
    assert doc['results']['ROW_COUNT'] == 1


def test_error_shows_pjds_message(qp, session_tmp):
    missing = os.path.join(session_tmp, 'qp-catalog.gpkg')
    direct = subprocess.run([PJD, 'overlay', '--run', '5', '--catalog', missing, '--out', '/tmp/unused.gpkg'],
                            capture_output=True, text=True)
    assert direct.returncode != 0
    r, _ = run_json(qp, 'pjd:overlay', RUN=5, CATALOG=missing, OUTPUT='TEMPORARY_OUTPUT')
    assert r.returncode == 1
    assert direct.stderr.strip() in r.stdout + r.stderr


def test_missing_pjd_is_explained(qp, session_tmp):
    """With the setting naming nothing, qgis_process says why and what to set."""
    from qgis.PyQt.QtCore import QSettings
    ini = QSettings(os.path.join(session_tmp, 'qgis_process-profile', 'profiles', 'default', 'QGIS', 'QGIS3.ini'),
                    QSettings.IniFormat)
    ini.setValue('Processing/Configuration/PJD_EXECUTABLE', os.path.join(session_tmp, 'no-pjd-here'))
    ini.sync()
    try:
        r, _ = run_json(qp, 'pjd:catalogquery', OUTPUT='TEMPORARY_OUTPUT')
    finally:
        ini.setValue('Processing/Configuration/PJD_EXECUTABLE', PJD)
        ini.sync()
    assert r.returncode == 1
    assert 'not an executable file' in r.stdout + r.stderr and 'Traceback' not in r.stdout + r.stderr
