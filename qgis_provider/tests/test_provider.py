"""The pjd Processing provider, in-process: each algorithm on a simulated stack, compared with
pjd's own JSON; progress, cancel, pjd's error messages, finding pjd, the parameter forms."""
import json
import os
import stat
import time

import pytest
from conftest import DETECT_SETTINGS, PJD, pjd, pjd_json, simulate

import processing
from qgis.core import (QgsApplication, QgsProcessingContext, QgsProcessingException, QgsProcessingFeedback,
                       QgsProcessingParameterDefinition, QgsProject, QgsVectorLayer, QgsWkbTypes)
from pjd_provider import algorithms, pjd_runner


class Recorder(QgsProcessingFeedback):
    """Keeps every progress value and log line."""

    def __init__(self, cancel_at=None):
        super().__init__()
        self.progress = []
        self.cancel_at = cancel_at
        self.canceled_at = None
        self.progressChanged.connect(self._on_progress)

    def _on_progress(self, value):
        self.progress.append(value)
        if self.cancel_at is not None and value >= self.cancel_at and self.canceled_at is None:
            self.canceled_at = time.monotonic()
            self.cancel()


def run(alg_id, params, feedback=None):
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = feedback or Recorder()
    results = processing.run(alg_id, params, context=context, feedback=feedback)
    return results, feedback, context


def layer(path_or_id, context=None):
    if isinstance(path_or_id, QgsVectorLayer):  # processing.run hands temporary outputs back as layers
        return path_or_id
    if context is not None:
        from qgis.core import QgsProcessingUtils
        lyr = QgsProcessingUtils.mapLayerFromString(path_or_id, context)
        if lyr is not None:
            return lyr
    return QgsVectorLayer(path_or_id, 'out', 'ogr')


def features(lyr):
    return list(lyr.getFeatures())


# ---------------------------------------------------------------- the forms

def test_toolbox_group_and_algorithms(provider):
    algs = {a.name(): a for a in provider.algorithms()}
    assert set(algs) == {'detect', 'catalogquery', 'overlay', 'audit'}
    assert {a.group() for a in algs.values()} == {'InSAR burst seams'}
    assert algs['detect'].displayName() == 'Detect phase jumps'
    assert QgsApplication.processingRegistry().algorithmById('pjd:detect') is not None


@pytest.mark.parametrize('alg_id,command', [('pjd:detect', ['detect']), ('pjd:overlay', ['overlay']),
                                            ('pjd:audit', ['audit'])])
def test_parameters_come_from_help_json(alg_id, command):
    """Every option pjd lists, except those the algorithm sets itself, is a parameter whose help is
    pjd's description; defaults and choices are pjd's."""
    alg = QgsApplication.processingRegistry().algorithmById(alg_id)
    spec = json.loads(pjd(*command, '--help-json').stdout)
    from pjd_provider import cli_params
    for opt in spec['options']:
        key = cli_params.option_key(opt)
        p = alg.parameterDefinition(key)
        if opt['name'] in type(alg).HIDDEN:
            assert p is None, key
            continue
        assert p is not None, f'{alg_id}: no parameter for {opt["name"]}'
        override = type(alg).PRESENT.get(opt['name'], {}).get('help')
        assert (override or opt['description']) in p.help(), key
        if opt['choices'] and p.type() == 'enum':
            assert p.options() == opt['choices']
        if opt['default'] not in (None, '') and p.type() == 'number':
            assert p.defaultValue() == pytest.approx(float(opt['default'])), key
    # Options a user rarely changes sit under "Advanced".
    if alg_id == 'pjd:detect':
        assert alg.parameterDefinition('THREADS').flags() & QgsProcessingParameterDefinition.FlagAdvanced
        assert not alg.parameterDefinition('N_BURST').flags() & QgsProcessingParameterDefinition.FlagAdvanced


def test_catalogue_parameter_defaults_to_pjds_default_location():
    for alg_id in ('pjd:detect', 'pjd:catalogquery', 'pjd:overlay', 'pjd:audit'):
        alg = QgsApplication.processingRegistry().algorithmById(alg_id)
        assert alg.parameterDefinition('CATALOG').defaultValue() == os.environ['PJD_CATALOG'], alg_id


def test_catalogue_query_offers_pjds_queries_but_not_forget():
    alg = QgsApplication.processingRegistry().algorithmById('pjd:catalogquery')
    names = [o.split(':')[0] for o in alg.parameterDefinition('QUERY').options()]
    subs = [s['name'] for s in json.loads(pjd('catalog', '--help-json').stdout)['subcommands']]
    assert names == [s for s in subs if s != 'forget']
    assert 'bad-dates' in names and 'forget' not in names


# ---------------------------------------------------------------- detect

@pytest.fixture(scope='session')
def detected(stack, session_tmp):
    """One Detect run with file outputs, shared by the checks below."""
    out = os.path.join(session_tmp, 'detect')
    catalog = os.path.join(session_tmp, 'catalog.gpkg')
    params = dict(DETECT_SETTINGS, STACK=stack, CATALOG=catalog, OUTPUT_FOLDER=os.path.join(out, 'result'),
                  SEAMS=os.path.join(out, 'seams.gpkg'), PAIRS=os.path.join(out, 'pairs.gpkg'),
                  EXCLUDED_DATES=os.path.join(out, 'dates.csv'), DATES=os.path.join(out, 'misreg.csv'))
    os.makedirs(out)
    results, feedback, context = run('pjd:detect', params)
    return dict(results=results, feedback=feedback, context=context, catalog=catalog, params=params,
                summary=json.load(open(results['SUMMARY_JSON'])))


def test_detect_outputs_agree_with_pjd(detected):
    r, summary, catalog = detected['results'], detected['summary'], detected['catalog']
    run_id = int(r['RUN_ID'])
    seams = layer(r['SEAMS'])
    assert seams.isValid() and seams.geometryType() == QgsWkbTypes.LineGeometry
    want_seams = pjd_json('catalog', 'seams', '--run', run_id, '--catalog', catalog)['rows']
    assert len(want_seams) == len(summary['seams']) == 3
    assert seams.featureCount() == len(want_seams)
    assert all(not f.geometry().isEmpty() for f in features(seams))

    pairs = layer(r['PAIRS'])
    assert pairs.isValid()
    assert pairs.featureCount() == len(summary['pairs'])
    want_pairs = pjd_json('catalog', 'pairs', '--run', run_id, '--catalog', catalog)['rows']
    assert pairs.featureCount() == len(want_pairs)
    excluded = sorted(f['pair'] for f in features(pairs) if f['excluded'])
    assert excluded == sorted(summary['excluded_pairs']) and excluded
    by_pair = {f['pair']: f for f in features(pairs)}
    for p in summary['pairs']:
        if p['ramp_mm'] is not None:
            assert by_pair[p['pair']]['ramp_mm'] == pytest.approx(p['ramp_mm'])

    dates = layer(r['EXCLUDED_DATES'])
    assert dates.isValid()
    got_dates = sorted(str(f['date']) for f in features(dates))
    assert got_dates == sorted(summary['excluded_dates']) and got_dates
    assert got_dates == sorted(str(d['date']) for d in
                               pjd_json('catalog', 'dates', '--run', run_id, '--catalog', catalog)['rows'])


def test_detect_dates_table_holds_every_dates_misregistration(detected):
    """The default (robust) method's per-date misregistration comes out as a table."""
    r, summary = detected['results'], detected['summary']
    assert summary['params']['method'] == 'robust'
    dates = layer(r['DATES'])
    assert dates.isValid()
    rows = {str(f['date']): f for f in features(dates)}
    assert sorted(rows) == sorted(d['date'] for d in summary['dates']) and len(rows) > 2
    for d in summary['dates']:
        assert float(rows[d['date']]['misreg_px']) == pytest.approx(d['misreg_px'])
    flagged = sorted(k for k, f in rows.items() if str(f['excluded']).lower() in ('true', '1'))
    assert flagged == sorted(summary['excluded_dates'])


def test_detect_writes_summary_and_records_the_run(detected):
    r, catalog = detected['results'], detected['catalog']
    assert os.path.dirname(r['SUMMARY_JSON']) == detected['params']['OUTPUT_FOLDER']
    runs = pjd_json('catalog', 'runs', '--catalog', catalog)['rows']
    assert [int(x['run']) for x in runs] == [int(r['RUN_ID'])]


def test_detect_progress_reaches_100(detected):
    progress = detected['feedback'].progress
    assert max(progress) == 100
    assert any(0 < p < 80 for p in progress), 'no progress from pjd itself'
    assert progress == sorted(progress)


def test_seam_layer_is_styled_with_seams_qml(detected, plugin_dir):
    """The GeoPackage output carries seams.qml as its default style, so it opens styled."""
    import sqlite3
    qml = open(os.path.join(plugin_dir, 'pjd_provider', 'styles', 'seams.qml')).read()
    path = detected['results']['SEAMS'].split('|')[0]
    with sqlite3.connect(path) as db:
        styles = db.execute('SELECT styleQML, useAsDefault FROM layer_styles').fetchall()
    assert len(styles) == 1 and styles[0][1]
    assert 'graduatedSymbol' in styles[0][0] and 'graduatedSymbol' in qml
    got = layer(detected['results']['SEAMS'])  # loads its default style from the GeoPackage
    assert got.renderer().type() == 'graduatedSymbol'


def test_layer_loaded_on_completion_gets_the_style(plugin_dir):
    """In the GUI the seam layer Processing loads is styled by a post-processor."""
    qml = os.path.join(plugin_dir, 'pjd_provider', 'styles', 'seams.qml')
    lyr = QgsVectorLayer('LineString?crs=EPSG:4326&field=median_jump_mm:double', 'seams', 'memory')
    assert lyr.renderer().type() == 'singleSymbol'
    algorithms.StyleFromQml(qml).postProcessLayer(lyr, QgsProcessingContext(), QgsProcessingFeedback())
    assert lyr.renderer().type() == 'graduatedSymbol'
    assert lyr.renderer().classAttribute() == 'median_jump_mm'


def test_detect_default_catalogue_and_memory_outputs(stack, session_tmp):
    """Without CATALOG the run goes to pjd's default catalogue; temporary outputs work."""
    params = dict(DETECT_SETTINGS, STACK=stack, OUTPUT_FOLDER='TEMPORARY_OUTPUT', SEAMS='TEMPORARY_OUTPUT',
                  PAIRS='TEMPORARY_OUTPUT', EXCLUDED_DATES='TEMPORARY_OUTPUT')
    results, _, context = run('pjd:detect', params)
    runs = pjd_json('catalog', 'runs', '--catalog', os.environ['PJD_CATALOG'])['rows']
    assert len(runs) >= 1
    seams = layer(results['SEAMS'], context)
    assert seams is not None and seams.isValid() and seams.featureCount() == 3


# ---------------------------------------------------------------- cancel and errors

@pytest.fixture(scope='session')
def small_stack(session_tmp):
    return simulate(os.path.join(session_tmp, 'small'), size='small', seed=1)


def test_cancel_stops_pjd_within_2s_and_leaves_no_output(small_stack, session_tmp):
    out = os.path.join(session_tmp, 'canceled')
    catalog = os.path.join(session_tmp, 'cancel-catalog.gpkg')
    params = dict(N_BURST=4, STACK=small_stack, CATALOG=catalog, THREADS=1, OUTPUT_FOLDER=os.path.join(out, 'r'),
                  SEAMS=os.path.join(out, 'seams.gpkg'), PAIRS=os.path.join(out, 'pairs.gpkg'),
                  EXCLUDED_DATES=os.path.join(out, 'dates.gpkg'))
    os.makedirs(out)
    feedback = Recorder(cancel_at=1)
    with pytest.raises(QgsProcessingException, match='[Cc]ancel'):
        run('pjd:detect', params, feedback)
    stopped = time.monotonic()
    assert feedback.canceled_at is not None
    assert stopped - feedback.canceled_at < 2.0
    assert os.listdir(out) == []
    # The catalogue recorded nothing (pjd may have created it empty before it was stopped).
    assert not os.path.exists(catalog) or pjd_json('catalog', 'runs', '--catalog', catalog)['rows'] == []
    # No pjd left running on the stack.
    ps = os.popen('ps -eo args').read()
    assert f'detect {small_stack}' not in ps


def test_bad_input_shows_pjds_message(session_tmp):
    not_a_stack = os.path.join(session_tmp, 'not-a-stack')
    os.makedirs(not_a_stack, exist_ok=True)
    direct = pjd('detect', not_a_stack, '--n-burst', 4, '--no-catalog', '--out', os.path.join(session_tmp, 'x'),
                 check=False)
    assert direct.returncode == 3 and direct.stderr.strip()
    with pytest.raises(QgsProcessingException) as e:
        run('pjd:detect', dict(STACK=not_a_stack, N_BURST=4, NO_CATALOG=True,
                               OUTPUT_FOLDER=os.path.join(session_tmp, 'bad-out'), SEAMS='TEMPORARY_OUTPUT',
                               PAIRS='TEMPORARY_OUTPUT', EXCLUDED_DATES='TEMPORARY_OUTPUT'))
    assert direct.stderr.strip() in str(e.value)
    assert not os.path.exists(os.path.join(session_tmp, 'bad-out'))


# ---------------------------------------------------------------- the other algorithms

@pytest.mark.parametrize('query,extra', [('stacks', {}), ('runs', {}), ('pairs', {'RUN': None}),
                                         ('seams', {'RUN': None}), ('dates', {'RUN': None}),
                                         ('bad-dates', {}), ('history', {'STACK': None})])
def test_catalogue_query_table_agrees_with_pjd(detected, query, extra):
    catalog, run_id = detected['catalog'], int(detected['results']['RUN_ID'])
    alg = QgsApplication.processingRegistry().algorithmById('pjd:catalogquery')
    names = [o.split(':')[0] for o in alg.parameterDefinition('QUERY').options()]
    params = {'QUERY': names.index(query), 'CATALOG': catalog, 'OUTPUT': 'TEMPORARY_OUTPUT'}
    args = ['catalog', query, '--catalog', catalog]
    if 'RUN' in extra:
        params['RUN'] = run_id
        args += ['--run', run_id]
    if 'STACK' in extra:
        params['STACK'] = '1'
        args += ['--stack', '1']
    want = pjd_json(*args)
    results, _, context = run('pjd:catalogquery', params)
    table = layer(results['OUTPUT'], context)
    assert table.isValid()
    assert [f.name() for f in table.fields()] == want['columns']
    assert table.featureCount() == len(want['rows']) == results['ROW_COUNT']
    assert want['rows'], f'{query}: pjd returned no rows, the comparison proves little'


def test_catalogue_query_error_is_pjds(detected):
    alg = QgsApplication.processingRegistry().algorithmById('pjd:catalogquery')
    names = [o.split(':')[0] for o in alg.parameterDefinition('QUERY').options()]
    direct = pjd('catalog', 'pairs', '--catalog', detected['catalog'], '--format', 'json', check=False)
    assert direct.returncode != 0
    with pytest.raises(QgsProcessingException) as e:
        run('pjd:catalogquery', {'QUERY': names.index('pairs'), 'CATALOG': detected['catalog'],
                                 'OUTPUT': 'TEMPORARY_OUTPUT'})
    assert direct.stderr.strip() in str(e.value)


def test_overlay_from_catalogue(detected, session_tmp):
    run_id = int(detected['results']['RUN_ID'])
    out = os.path.join(session_tmp, 'overlay-utm.gpkg')
    results, feedback, _ = run('pjd:overlay', {'RUN': run_id, 'CATALOG': detected['catalog'], 'CRS': 'EPSG:3857',
                                               'OUTPUT': out})
    lyr = layer(results['OUTPUT'])
    assert lyr.isValid() and lyr.crs().authid() == 'EPSG:3857'
    assert lyr.geometryType() == QgsWkbTypes.LineGeometry
    want = pjd_json('catalog', 'seams', '--run', run_id, '--catalog', detected['catalog'])['rows']
    assert lyr.featureCount() == len(want) == results['FEATURE_COUNT']
    # Web Mercator metres, not degrees.
    assert max(abs(lyr.extent().xMinimum()), abs(lyr.extent().yMinimum())) > 1000
    assert max(feedback.progress) == 100


def test_overlay_unknown_run_shows_pjds_message(detected):
    direct = pjd('overlay', '--run', 999, '--catalog', detected['catalog'], '--out', '/tmp/unused.gpkg', check=False)
    assert direct.returncode != 0
    with pytest.raises(QgsProcessingException) as e:
        run('pjd:overlay', {'RUN': 999, 'CATALOG': detected['catalog'], 'OUTPUT': 'TEMPORARY_OUTPUT'})
    assert direct.stderr.strip() in str(e.value)


def test_audit_folder(stack, session_tmp):
    root = os.path.dirname(os.path.dirname(stack))  # archive/ holding track1/stackA
    catalog = os.path.join(session_tmp, 'audit.gpkg')
    results, feedback, context = run('pjd:audit', {'ROOT': root, 'N_BURST': 4, 'CATALOG': catalog, 'CMIN': 0.3,
                                                   'OUTPUT': 'TEMPORARY_OUTPUT'})
    table = layer(results['OUTPUT'], context)
    assert table.isValid()
    # pjd's own answer for the same folder (a second audit: the stack is now unchanged).
    want = pjd_json('audit', root, '--n-burst', 4, '--catalog', catalog, '--cmin', 0.3)
    assert [f.name() for f in table.fields()] == want['columns']
    assert table.featureCount() == len(want['rows']) == results['ROW_COUNT'] == 1
    assert results['FAILED'] == 0
    statuses = [f['status'] for f in table.getFeatures()]
    assert statuses != [r['status'] for r in want['rows']], 'first audit should detect, the second skip'
    assert max(feedback.progress) == 100


# ---------------------------------------------------------------- finding pjd

def _script(path, text):
    with open(path, 'w') as f:
        f.write('#!/bin/sh\n' + text + '\n')
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
    return path


def test_finding_pjd(tmp_path, monkeypatch):
    # 1. The setting wins; a setting naming no executable is an error, not a fallback.
    assert pjd_runner.find_executable(PJD) == (PJD, 'Processing setting')
    with pytest.raises(pjd_runner.PjdNotUsable, match='Processing setting'):
        pjd_runner.find_executable(str(tmp_path / 'nothing'))
    # 2. Then the path CMake configured (install prefix), 3. then PATH.
    bindir = tmp_path / 'bin'
    bindir.mkdir()
    on_path = bindir / 'pjd'
    on_path.symlink_to(PJD)
    monkeypatch.setenv('PATH', str(bindir))
    monkeypatch.setattr(pjd_runner, 'configured_executable', lambda: PJD)
    assert pjd_runner.find_executable('') == (PJD, 'install path')
    monkeypatch.setattr(pjd_runner, 'configured_executable', lambda: str(tmp_path / 'not-installed'))
    assert pjd_runner.find_executable('') == (str(on_path), 'PATH')
    monkeypatch.setenv('PATH', str(tmp_path / 'empty'))
    with pytest.raises(pjd_runner.PjdNotUsable, match='pjd was not found.*Processing > Options'):
        pjd_runner.find_executable(None)


def test_too_old_or_foreign_pjd_gets_a_clear_message(tmp_path):
    old = _script(str(tmp_path / 'pjd'), 'echo "pjd 0.0.9"')
    with pytest.raises(pjd_runner.PjdNotUsable, match=r'version 0\.0\.9.*needs pjd 0\.1\.0 or newer'):
        pjd_runner.usable_executable(old)
    other = _script(str(tmp_path / 'other'), 'echo "something else"')
    with pytest.raises(pjd_runner.PjdNotUsable, match='does not look like pjd'):
        pjd_runner.usable_executable(other)


def test_algorithm_reports_missing_pjd(tmp_path):
    from processing.core.ProcessingConfig import ProcessingConfig
    ProcessingConfig.setSettingValue(pjd_runner.SETTING_EXECUTABLE, '')
    try:
        ProcessingConfig.settings[pjd_runner.SETTING_EXECUTABLE].value = str(tmp_path / 'missing-pjd')
        alg = QgsApplication.processingRegistry().algorithmById('pjd:overlay')
        ok, message = alg.canExecute()
        assert not ok and 'not an executable file' in message
    finally:
        ProcessingConfig.setSettingValue(pjd_runner.SETTING_EXECUTABLE, PJD)
