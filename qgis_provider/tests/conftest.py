"""QGIS in-process for the provider tests (Debian's /usr/bin/python3).

Environment (set by ctest, see qgis_provider/CMakeLists.txt; defaults for a manual run from the
source tree after `cmake --build build`):
  PJD_TEST_EXECUTABLE   the pjd to test           (default build/bin/pjd)
  PJD_TEST_PLUGIN_DIR   folder holding pjd_provider/ as CMake staged it (default build/qgis_provider)
"""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, '..', '..'))
PJD = os.path.abspath(os.environ.get('PJD_TEST_EXECUTABLE', os.path.join(TOP, 'build', 'bin', 'pjd')))
PLUGIN_DIR = os.path.abspath(os.environ.get('PJD_TEST_PLUGIN_DIR', os.path.join(TOP, 'build', 'qgis_provider')))
QGIS_PROCESS = '/usr/bin/qgis_process.bin'

if not os.access(PJD, os.X_OK):
    raise SystemExit(f'pjd not found at {PJD} (set PJD_TEST_EXECUTABLE)')
if not os.path.isfile(os.path.join(PLUGIN_DIR, 'pjd_provider', 'metadata.txt')):
    raise SystemExit(f'no staged plugin in {PLUGIN_DIR} (build the qgis_plugin target, set PJD_TEST_PLUGIN_DIR)')

# Everything the session writes (QGIS profile, default catalogue) stays in one temporary folder.
SESSION_TMP = tempfile.mkdtemp(prefix='pjd-qgis-tests-')
os.environ['QT_QPA_PLATFORM'] = 'offscreen'
os.environ['QGIS_CUSTOM_CONFIG_PATH'] = os.path.join(SESSION_TMP, 'profile')
os.environ['PJD_CATALOG'] = os.path.join(SESSION_TMP, 'default-catalog.gpkg')
os.environ.pop('XDG_DATA_HOME', None)
sys.path[:0] = ['/usr/share/qgis/python/plugins', PLUGIN_DIR]

from qgis.core import QgsApplication  # noqa: E402

QgsApplication.setPrefixPath('/usr', True)
_app = QgsApplication([], False)
_app.initQgis()
from processing.core.Processing import Processing  # noqa: E402
from processing.core.ProcessingConfig import ProcessingConfig  # noqa: E402

Processing.initialize()
import pjd_provider  # noqa: E402
from pjd_provider import pjd_runner  # noqa: E402

_plugin = pjd_provider.classFactory(None)  # keep a reference, else the provider is collected
_plugin.initProcessing()
ProcessingConfig.setSettingValue(pjd_runner.SETTING_EXECUTABLE, PJD)
_plugin.provider.refreshAlgorithms()


def pjd(*args, check=True, env=None):
    """Runs pjd directly: the reference the provider's outputs are compared with."""
    r = subprocess.run([PJD, *map(str, args)], capture_output=True, text=True, env=env)
    if check and r.returncode != 0:
        raise AssertionError(f'pjd {" ".join(map(str, args))} exited {r.returncode}: {r.stderr}')
    return r


def pjd_json(*args):
    import json
    return json.loads(pjd(*args, '--format', 'json').stdout)


# A tiny stack with three seams found and some excluded dates at these settings (1 s to make).
DETECT_SETTINGS = {'N_BURST': 4, 'CMIN': 0.3, 'PJ_THR': 1.5}


def simulate(out, size='tiny', seed=3):
    pjd('simulate', out, '--size', size, '--n-burst', 4, '--seed', seed, '--lowcoh-pairs', 0, '--bad-dates', 2,
        '--progress', 'none')
    return out


@pytest.fixture(scope='session')
def session_tmp():
    yield SESSION_TMP
    shutil.rmtree(SESSION_TMP, ignore_errors=True)


@pytest.fixture(scope='session')
def stack(session_tmp):
    return simulate(os.path.join(session_tmp, 'archive', 'track1', 'stackA'))


@pytest.fixture(scope='session')
def provider():
    return _plugin.provider


@pytest.fixture(scope='session')
def plugin_dir():
    return PLUGIN_DIR


@pytest.fixture(scope='session')
def pjd_path():
    return PJD
