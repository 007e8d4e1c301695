"""The toolbox algorithms. Each drives one pjd command; its parameters come from that
command's --help-json (see cli_params.py)."""
import json
import os
import shutil
import tempfile

from qgis.core import (QgsProcessing, QgsProcessingAlgorithm, QgsProcessingException,
                       QgsProcessingLayerPostProcessorInterface, QgsProcessingOutputFile,
                       QgsProcessingOutputFolder, QgsProcessingOutputNumber,
                       QgsProcessingParameterEnum, QgsProcessingParameterFeatureSink,
                       QgsProcessingParameterFile, QgsProcessingParameterFolderDestination,
                       QgsProcessingParameterString, QgsVectorLayer)

from . import cli_params, pjd_runner, tables

GROUP = 'InSAR burst seams'
GROUP_ID = 'burstseams'
PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
GPKG_FILTER = 'GeoPackage (*.gpkg);;All files (*)'


def style_path(name):
    """A .qml from share/styles: bundled in the plugin, or in the source tree next to it."""
    for d in (os.path.join(PLUGIN_DIR, 'styles'),
              os.path.join(PLUGIN_DIR, '..', '..', 'share', 'styles')):
        p = os.path.join(d, f'{name}.qml')
        if os.path.isfile(p):
            return os.path.abspath(p)
    return None


class StyleFromQml(QgsProcessingLayerPostProcessorInterface):
    """Applies a .qml to a layer Processing loads on completion."""
    _keep = []  # Processing does not own Python post-processors: keep them alive

    def __init__(self, qml):
        super().__init__()
        self.qml = qml
        StyleFromQml._keep.append(self)

    def postProcessLayer(self, layer, context, feedback):
        if self.qml and layer is not None and layer.isValid():
            _, ok = layer.loadNamedStyle(self.qml)
            if not ok and feedback:
                feedback.pushWarning(f'could not apply the style {self.qml}')
            layer.triggerRepaint()


def style_output(context, dest_id, name, feedback=None):
    """Styles an output with share/styles/<name>.qml: as the default style inside a GeoPackage
    output (so it opens styled anywhere, also after qgis_process), and on the layer Processing
    loads on completion."""
    qml = style_path(name)
    if not qml or not dest_id:
        return
    path = str(dest_id).split('|')[0]
    if path.lower().endswith('.gpkg') and os.path.isfile(path):
        layer = QgsVectorLayer(dest_id, name, 'ogr')
        if layer.isValid():
            _, ok = layer.loadNamedStyle(qml)
            if ok:
                err = layer.saveStyleToDatabase(name, f'pjd {name} ({os.path.basename(qml)})', True, '')
                if err and feedback:
                    feedback.pushWarning(f'could not store the style in {path}: {err}')
    if context.willLoadLayerOnCompletion(dest_id):
        context.layerToLoadOnCompletionDetails(dest_id).setPostProcessor(StyleFromQml(qml))


class PjdAlgorithm(QgsProcessingAlgorithm):
    """Base: parameters from `pjd COMMAND --help-json`, run with progress and cancel."""

    COMMAND = []          # e.g. ['detect']
    PRESENT = {}          # option name -> how to present it (cli_params.build overrides)
    HIDDEN = set()        # option names the algorithm sets itself
    NAME = DISPLAY = SHORT_HELP = ''

    def __init__(self):
        super().__init__()
        self.cli = []
        self.unusable = None
        self.queries = []
        self.used_by = {}

    def createInstance(self):
        return type(self)()

    def name(self):
        return self.NAME

    def displayName(self):
        return self.DISPLAY

    def group(self):
        return GROUP

    def groupId(self):
        return GROUP_ID

    def shortHelpString(self):
        intro = f'<p>{self.SHORT_HELP}</p>'
        if self.unusable:
            return f'{intro}<p><b>{self.unusable}</b></p>'
        return cli_params.help_html(self.displayName(), self.cli, intro)

    def helpUrl(self):
        return ''

    def executable(self):
        from processing.core.ProcessingConfig import ProcessingConfig
        try:
            return pjd_runner.usable_executable(ProcessingConfig.getSetting(pjd_runner.SETTING_EXECUTABLE))
        except pjd_runner.PjdNotUsable as e:
            raise QgsProcessingException(str(e))

    def canExecute(self):
        if self.unusable:
            return False, self.unusable
        try:
            self.executable()
        except QgsProcessingException as e:
            return False, str(e)
        return True, ''

    def prepareAlgorithm(self, parameters, context, feedback):
        # qgis_process does not ask canExecute(): say why pjd cannot run before anything else.
        if self.unusable:
            raise QgsProcessingException(self.unusable)
        self.executable()
        return True

    def spec(self, command=None):
        return pjd_runner.help_json(self.executable(), command or self.COMMAND)

    def add_cli_params(self, spec, hidden=(), present=None):
        """Adds a parameter for each option of `spec` not hidden; returns the CliParams."""
        present = present if present is not None else self.PRESENT
        out = []
        for opt in spec['options']:
            if opt['name'] in hidden:
                continue
            cp = cli_params.build(opt, present.get(opt['name']))
            self.addParameter(cp.definition)
            out.append(cp)
        return out

    def initAlgorithm(self, config=None):
        try:
            spec = self.spec()
        except QgsProcessingException as e:
            self.unusable = str(e)
            return
        self.cli = self.add_cli_params(spec, self.HIDDEN)
        self.add_outputs()

    def add_outputs(self):
        pass

    def cli_args(self, parameters, context, cli=None):
        positional, named = [], []
        for cp in (self.cli if cli is None else cli):
            (positional if cp.opt.get('positional') else named).extend(cp.args(self, parameters, context))
        return positional + named

    def run_pjd(self, args, feedback, progress_range=(0, 100), ok_codes=(0,)):
        return pjd_runner.run(self.executable(), args, feedback, progress_range, ok_codes)

    def run_json(self, args, feedback, progress_range=(0, 100), ok_codes=(0,)):
        code, out = self.run_pjd(args, feedback, progress_range, ok_codes)
        try:
            return code, json.loads(out)
        except ValueError:
            raise QgsProcessingException(f'pjd printed something that is not JSON: {out[:300]}')


class _Cleanup:
    """Removes what a failed or canceled run created in a folder: the folder itself when it
    did not exist before, else the entries that appeared."""

    def __init__(self, folder):
        self.folder = folder
        self.existed = os.path.isdir(folder)
        self.before = set(os.listdir(folder)) if self.existed else set()

    def undo(self):
        if not self.existed:
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        for name in set(os.listdir(self.folder)) - self.before:
            p = os.path.join(self.folder, name)
            shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else os.remove(p)


class DetectAlgorithm(PjdAlgorithm):
    NAME = 'detect'
    DISPLAY = 'Detect phase jumps'
    SHORT_HELP = ('Finds phase jumps at the burst seams of a Sentinel-1 TOPS MintPy stack (pjd detect), '
                  'lists the pairs and dates to exclude, writes summary.json and the reference files to the '
                  'output folder and records the run in the catalogue. Outputs: the seam lines (styled), a '
                  'table of pairs (ramp, excluded, statistics) and a table of excluded dates.')
    COMMAND = ['detect']
    HIDDEN = {'inDir', 'out', 'format', 'progress'}
    PRESENT = {
        'STACK': {'kind': 'file', 'label': 'MintPy stack (ifgramStack.h5 or its MintPy folder)',
                  'filter': 'MintPy stack (ifgramStack.h5 *.h5);;All files (*)', 'optional': False},
        'n-burst': {'label': 'Bursts per sub-swath (empty: estimated by robust; the published method needs it)',
                    'min': 2, 'default': None},
        'catalog': {'kind': 'file', 'label': 'Catalogue (records the run)', 'filter': GPKG_FILTER},
        'no-catalog': {'label': 'Do not record the run in a catalogue', 'advanced': True},
        'pct': {'label': 'Reliable-row percentile (fraction)', 'advanced': True},
        'cmin': {'label': 'Minimum coherence', 'advanced': True},
        'pj-thr': {'label': 'Exclusion threshold (mm)'},
        'msk-avgCoh': {'label': 'Always use the average-coherence mask', 'advanced': True},
        'sub-x': {'label': 'Columns X0-X1 only (one sub-swath)', 'advanced': True},
        'pair': {'label': 'One pair only (YYYYMMDD_yyyymmdd)', 'advanced': True},
        'threads': {'label': 'Worker threads (0 = every core)', 'advanced': True},
        'plot-ind': {'label': 'Also one figure per pair (in the output folder\'s figs/)', 'advanced': True},
        'no-figures': {'label': 'Write no figures', 'advanced': True},
        'figure-format': {'label': 'Figure file format', 'advanced': True},
        'project': {'label': 'Project label for the catalogue', 'advanced': True},
        'track': {'label': 'Relative orbit (track) for the catalogue', 'advanced': True, 'min': 0},
    }

    def add_outputs(self):
        self.addParameter(QgsProcessingParameterFolderDestination(
            'OUTPUT_FOLDER', 'Output folder (summary.json and the reference files)', optional=True,
            createByDefault=True))
        self.addParameter(QgsProcessingParameterFeatureSink(
            'SEAMS', 'Seam lines', QgsProcessing.TypeVectorLine))
        self.addParameter(QgsProcessingParameterFeatureSink('PAIRS', 'Pairs', QgsProcessing.TypeVector))
        self.addParameter(QgsProcessingParameterFeatureSink(
            'EXCLUDED_DATES', 'Excluded dates', QgsProcessing.TypeVector))
        self.addParameter(QgsProcessingParameterFeatureSink(
            'DATES', 'Per-date misregistration (robust method)', QgsProcessing.TypeVector, optional=True,
            createByDefault=True))
        self.addOutput(QgsProcessingOutputFile('SUMMARY_JSON', 'summary.json'))
        self.addOutput(QgsProcessingOutputNumber('RUN_ID', 'Catalogue run id'))
        self.addOutput(QgsProcessingOutputNumber('SEAM_COUNT', 'Seam lines'))

    def processAlgorithm(self, parameters, context, feedback):
        out_dir = self.parameterAsString(parameters, 'OUTPUT_FOLDER', context)
        if not out_dir:
            raise QgsProcessingException('Choose an output folder (or a temporary one).')
        args = ['detect', *self.cli_args(parameters, context), '--out', out_dir, '--format', 'json',
                '--progress', 'json']
        cleanup = _Cleanup(out_dir)
        try:
            _, doc = self.run_json(args, feedback, (0, 80))
            summary = os.path.join(out_dir, 'summary.json')
            if not os.path.isfile(summary):
                names = [n for n in os.listdir(out_dir) if n.endswith('summary.json')]
                summary = os.path.join(out_dir, names[0]) if names else summary
            run_id = doc.get('run_id')
            catalog = None
            if run_id is not None:
                catalog = self.parameterAsFile(parameters, 'CATALOG', context) or None
            feedback.pushInfo(f'{len(doc.get("seams", []))} seam(s), {len(doc.get("pairs", []))} pair(s), '
                              f'{len(doc.get("excluded_pairs", []))} excluded, '
                              f'{len(doc.get("excluded_dates", []))} excluded date(s)')

            # Seam lines: pjd overlay of the result folder, copied into the sink.
            with tempfile.TemporaryDirectory(prefix='pjd-qgis-') as tmp:
                gpkg = os.path.join(tmp, 'seams.gpkg')
                self.run_pjd(['overlay', out_dir, '--out', gpkg, '--layers', 'seams'], feedback, (80, 92))
                if feedback.isCanceled():
                    raise QgsProcessingException('Canceled.')
                seams_dest, n_seams = tables.write_layer(self, parameters, 'SEAMS', context, gpkg, 'seams')
            style_output(context, seams_dest, 'seams', feedback)

            columns = ['pair', 'btemp_days', 'coh_median', 'coh_mean', 'coh_std', 'grad_median_mm',
                       'grad_mean_mm', 'grad_std_mm', 'skipped', 'ramp_mm', 'excluded', 'seam_grad_mm']
            rows = doc.get('pairs', [])
            columns += [c for c in (rows[0].keys() if rows else []) if c not in columns]
            pairs_dest = tables.write_table(self, parameters, 'PAIRS', context, columns, rows)

            # Excluded dates: pjd's own table for a recorded run (with pair counts), else the list.
            if run_id is not None:
                cat_args = ['catalog', 'dates', '--run', str(run_id), '--format', 'json']
                if catalog:
                    cat_args += ['--catalog', catalog]
                _, dates = self.run_json(cat_args, feedback, (92, 100))
                date_cols, date_rows = dates['columns'], dates['rows']
            else:
                date_cols, date_rows = ['date'], [{'date': d} for d in doc.get('excluded_dates', [])]
            dates_dest = tables.write_table(self, parameters, 'EXCLUDED_DATES', context, date_cols, date_rows)

            # Robust runs: every date's azimuth misregistration (px, and the LOS jump per seam in mm).
            misreg_cols = ['date', 'misreg_px', 'sigma_px', 'jump_mm', 'jump_sigma_mm', 'n_pairs', 'excluded']
            misreg_rows = [{c: d.get(c) for c in misreg_cols} for d in doc.get('dates', [])]
            misreg_dest = tables.write_table(self, parameters, 'DATES', context, misreg_cols, misreg_rows,
                                             optional=True)
        except BaseException:
            cleanup.undo()
            raise
        feedback.setProgress(100)
        return {'OUTPUT_FOLDER': out_dir, 'SEAMS': seams_dest, 'PAIRS': pairs_dest, 'EXCLUDED_DATES': dates_dest,
                'DATES': misreg_dest, 'SUMMARY_JSON': summary, 'RUN_ID': run_id, 'SEAM_COUNT': n_seams}


class CatalogQueryAlgorithm(PjdAlgorithm):
    NAME = 'catalogquery'
    DISPLAY = 'Catalogue query'
    SHORT_HELP = ('Reads the catalogue of recorded runs (pjd catalog): stacks, runs, the pairs, seams or '
                  'excluded dates of a run, a stack\'s history, bad dates across stacks (with filters), or a '
                  'comparison of two runs. Each option applies to the queries named in its label. '
                  'Output: a table.')
    COMMAND = ['catalog']
    HIDDEN = {'format'}
    NOT_OFFERED = {'forget'}  # deletes: not a query
    PRESENT = {
        'catalog': {'kind': 'file', 'label': 'Catalogue', 'filter': GPKG_FILTER},
        'RUN_A': {'name': 'RUN_A', 'label': 'First run id'},
        'RUN_B': {'name': 'RUN_B', 'label': 'Second run id'},
        'from': {'label': 'First date (YYYYMMDD)'},
        'to': {'label': 'Last date (YYYYMMDD)'},
        'orbit': {'label': 'Orbit direction'},
        'platform': {'label': 'Platform (e.g. Sen)'},
    }

    def initAlgorithm(self, config=None):
        try:
            top = self.spec()
            self.queries = [s for s in top.get('subcommands', []) if s['name'] not in self.NOT_OFFERED]
            specs = {q['name']: self.spec(['catalog', q['name']]) for q in self.queries}
        except QgsProcessingException as e:
            self.unusable = str(e)
            return
        labels = [f'{q["name"]}: {q["description"]}' for q in self.queries]
        p = QgsProcessingParameterEnum('QUERY', 'Query', options=labels, defaultValue=0)
        p.setHelp('What to read from the catalogue (pjd catalog <query>)')
        self.addParameter(p)
        # One parameter per option name across the queries; each query passes only its own options.
        self.used_by = {}
        seen = {}
        for q in self.queries:
            for opt in specs[q['name']]['options']:
                if opt['name'] in self.HIDDEN:
                    continue
                self.used_by.setdefault(opt['name'], []).append(q['name'])
                seen.setdefault(opt['name'], opt)
        self.cli = []
        for name, opt in seen.items():
            present = dict(self.PRESENT.get(name, {}))
            present['optional'] = True
            users = self.used_by[name]
            if len(users) < len(self.queries):
                base = present.get('label') or cli_params.short_label(opt['description'])
                present['label'] = f'{base} [{", ".join(users)}]'
            cp = cli_params.build(opt, present)
            self.addParameter(cp.definition)
            self.cli.append(cp)
        self.addParameter(QgsProcessingParameterFeatureSink('OUTPUT', 'Query result', QgsProcessing.TypeVector))
        self.addOutput(QgsProcessingOutputNumber('ROW_COUNT', 'Rows'))

    def processAlgorithm(self, parameters, context, feedback):
        query = self.queries[self.parameterAsEnum(parameters, 'QUERY', context)]['name']
        mine = [cp for cp in self.cli if query in self.used_by[cp.opt['name']]]
        _, doc = self.run_json(['catalog', query, *self.cli_args(parameters, context, mine), '--format', 'json'],
                               feedback)
        for note in doc.get('notes', []):
            feedback.pushInfo(note)
        dest = tables.write_table(self, parameters, 'OUTPUT', context, doc['columns'], doc['rows'])
        return {'OUTPUT': dest, 'ROW_COUNT': len(doc['rows'])}


class OverlayAlgorithm(PjdAlgorithm):
    NAME = 'overlay'
    DISPLAY = 'Seam overlay from catalogue'
    SHORT_HELP = ('Draws the seam lines of a catalogue run (pjd overlay --run) in the chosen CRS, styled. '
                  'The stack\'s geometryRadar.h5 must still be next to it, or be named below.')
    COMMAND = ['overlay']
    HIDDEN = {'RESULT', 'out', 'output-format', 'layers'}
    PRESENT = {
        'run': {'label': 'Run id', 'optional': False, 'min': 1, 'default': None,
                'help': 'The catalogue run whose seams to draw (pjd overlay --run; see Catalogue query > runs)'},
        'catalog': {'kind': 'file', 'label': 'Catalogue', 'filter': GPKG_FILTER},
        'crs': {'kind': 'crs', 'label': 'Output CRS'},
        'geometry': {'kind': 'file', 'label': 'geometryRadar.h5 (if not next to the stack)',
                     'filter': 'HDF5 (*.h5);;All files (*)', 'advanced': True},
        'tolerance-m': {'label': 'Thinning tolerance (m)', 'advanced': True},
    }

    def add_outputs(self):
        self.addParameter(QgsProcessingParameterFeatureSink('OUTPUT', 'Seam lines', QgsProcessing.TypeVectorLine))
        self.addOutput(QgsProcessingOutputNumber('FEATURE_COUNT', 'Seam lines'))

    def processAlgorithm(self, parameters, context, feedback):
        with tempfile.TemporaryDirectory(prefix='pjd-qgis-') as tmp:
            gpkg = os.path.join(tmp, 'seams.gpkg')
            self.run_pjd(['overlay', *self.cli_args(parameters, context), '--out', gpkg, '--layers', 'seams'],
                         feedback, (0, 90))
            dest, n = tables.write_layer(self, parameters, 'OUTPUT', context, gpkg, 'seams')
        style_output(context, dest, 'seams', feedback)
        feedback.setProgress(100)
        return {'OUTPUT': dest, 'FEATURE_COUNT': n}


class AuditAlgorithm(PjdAlgorithm):
    NAME = 'audit'
    DISPLAY = 'Audit folder'
    SHORT_HELP = ('Finds the MintPy stacks under a folder (pjd audit), runs the detection on those that are new or '
                  'changed since their last recorded run and skips the others. Every run is recorded in the '
                  'catalogue. Output: one row per stack with its status. Stacks that fail are listed with '
                  'their message; the others still run.')
    COMMAND = ['audit']
    HIDDEN = {'format', 'progress'}
    PRESENT = {
        'ROOT': {'kind': 'folder', 'label': 'Folder to search', 'optional': False},
        'n-burst': {'label': 'Bursts per sub-swath (empty: estimated by robust; published: the previous run or '
                             'number_of_bursts)', 'min': 2},
        'catalog': {'kind': 'file', 'label': 'Catalogue', 'filter': GPKG_FILTER},
        'out-root': {'kind': 'folder', 'label': 'Also write each run\'s files under this folder', 'advanced': True},
        'pct': {'label': 'Reliable-row percentile (fraction)', 'advanced': True},
        'cmin': {'label': 'Minimum coherence', 'advanced': True},
        'pj-thr': {'label': 'Exclusion threshold (mm)'},
        'msk-avgCoh': {'label': 'Always use the average-coherence mask', 'advanced': True},
        'jobs': {'label': 'Stacks processed at once', 'advanced': True},
        'threads': {'label': 'Threads in all (0 = every core)', 'advanced': True},
    }

    def add_outputs(self):
        p = QgsProcessingParameterString('MORE_ROOTS', 'More folders to search (separated by ;)', optional=True)
        p.setHelp('Further folders (or stacks), each searched like the first')
        p.setFlags(p.flags() | p.FlagAdvanced)
        self.addParameter(p)
        self.addParameter(QgsProcessingParameterFeatureSink('OUTPUT', 'Audit summary', QgsProcessing.TypeVector))
        self.addOutput(QgsProcessingOutputNumber('ROW_COUNT', 'Stacks'))
        self.addOutput(QgsProcessingOutputNumber('FAILED', 'Stacks that failed'))

    def processAlgorithm(self, parameters, context, feedback):
        args = self.cli_args(parameters, context)
        more = [r.strip() for r in (self.parameterAsString(parameters, 'MORE_ROOTS', context) or '').split(';')]
        root_at = 1 if args else 0  # the ROOT positional comes first
        args = args[:root_at] + [r for r in more if r] + args[root_at:]
        code, doc = self.run_json(['audit', *args, '--format', 'json', '--progress', 'json'], feedback, (0, 95),
                                  ok_codes=(0, 3))
        failed = sum(1 for r in doc['rows'] if r.get('status') == 'failed')
        if code == 3:
            feedback.reportError(f'{failed} stack(s) failed; see their messages in the table and the log.')
        dest = tables.write_table(self, parameters, 'OUTPUT', context, doc['columns'], doc['rows'])
        feedback.setProgress(100)
        return {'OUTPUT': dest, 'ROW_COUNT': len(doc['rows']), 'FAILED': failed}


ALGORITHMS = [DetectAlgorithm, CatalogQueryAlgorithm, OverlayAlgorithm, AuditAlgorithm]
