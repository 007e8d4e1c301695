"""Finding the pjd executable and running it with progress, cancel and pjd's own error text.

Nothing here imports QGIS at module level except what the run loop needs, so the lookup
rules can be tested on their own.
"""
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time

MIN_VERSION = (0, 1, 0)
SETTING_EXECUTABLE = 'PJD_EXECUTABLE'


class PjdNotUsable(Exception):
    """pjd is missing, not executable or too old; the message says what to do."""


def configured_executable():
    """The pjd path CMake configured into the plugin (install prefix), or None in a source tree."""
    try:
        from . import pjd_config
    except ImportError:
        return None
    return getattr(pjd_config, 'PJD_EXECUTABLE', None) or None


def _how_to_fix():
    configured = configured_executable()
    where = f'installed at {configured}' if configured else 'installed'
    return ('Set its path in Processing > Options > Providers > InSAR burst seams (pjd) > '
            f'"pjd executable", or make sure pjd is {where} or on PATH.')


def find_executable(setting_value=None):
    """Returns (path, how_found). Order: the Processing setting, the CMake-configured install
    path, PATH. A setting that names no executable file is an error, not a silent fallback."""
    if setting_value:
        path = os.path.expanduser(str(setting_value))
        if os.path.isdir(path):
            path = os.path.join(path, 'pjd')
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise PjdNotUsable(f'The Processing setting "pjd executable" names {setting_value}, which is not '
                               'an executable file. ' + _how_to_fix())
        return os.path.abspath(path), 'Processing setting'
    configured = configured_executable()
    if configured and os.path.isfile(configured) and os.access(configured, os.X_OK):
        return configured, 'install path'
    found = shutil.which('pjd')
    if found:
        return os.path.abspath(found), 'PATH'
    raise PjdNotUsable('pjd was not found. ' + _how_to_fix())


_version_cache = {}


def executable_version(path):
    """(major, minor, patch) from `pjd --version` ("pjd X.Y.Z"); raises PjdNotUsable."""
    try:
        key = (path, os.stat(path).st_mtime_ns)
    except OSError as e:
        raise PjdNotUsable(f'pjd at {path} cannot be read: {e}')
    if key in _version_cache:
        return _version_cache[key]
    try:
        out = subprocess.run([path, '--version'], stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        raise PjdNotUsable(f'{path} could not be run ({e}). ' + _how_to_fix())
    m = re.match(r'\s*pjd\s+(\d+)\.(\d+)\.(\d+)', out.stdout)
    if out.returncode != 0 or not m:
        raise PjdNotUsable(f'{path} does not look like pjd: "{path} --version" printed '
                           f'"{(out.stdout or out.stderr).strip()[:200]}". ' + _how_to_fix())
    version = tuple(int(g) for g in m.groups())
    _version_cache[key] = version
    return version


def usable_executable(setting_value=None):
    """The pjd path to run, checked for MIN_VERSION; raises PjdNotUsable with a clear message."""
    path, how = find_executable(setting_value)
    version = executable_version(path)
    if version < MIN_VERSION:
        need = '.'.join(map(str, MIN_VERSION))
        raise PjdNotUsable(f'pjd at {path} ({how}) is version {".".join(map(str, version))}; this provider '
                           f'needs pjd {need} or newer. Install a newer pjd, or set the path of one in '
                           'Processing > Options > Providers > InSAR burst seams (pjd) > "pjd executable".')
    return path


_help_cache = {}


def help_json(path, command):
    """`pjd <command...> --help-json`: the command's options, the source of the parameter forms."""
    key = (path, os.stat(path).st_mtime_ns, tuple(command))
    if key not in _help_cache:
        out = subprocess.run([path, *command, '--help-json'], stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, timeout=30)
        if out.returncode != 0:
            raise PjdNotUsable(f'"{path} {" ".join(command)} --help-json" failed: {out.stderr.strip()}')
        _help_cache[key] = json.loads(out.stdout)
    return _help_cache[key]


def _kill(proc):
    """SIGTERM to pjd's process group, SIGKILL if it is still there after 0.5 s."""
    for sig, wait in ((signal.SIGTERM, 0.5), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run(path, args, feedback, progress_range=(0.0, 100.0), ok_codes=(0,)):
    """Runs pjd with `args` (which should include --progress json), feeds its progress lines to
    feedback.setProgress (mapped into progress_range) and its other stderr lines to the log.
    Returns (exit code, stdout text). Cancel kills pjd and raises QgsProcessingException; an exit
    code outside ok_codes raises QgsProcessingException with pjd's own message."""
    from qgis.core import QgsProcessingException
    from qgis.PyQt.QtCore import QCoreApplication, QThread

    cmd = [path, *map(str, args)]
    if feedback:
        feedback.pushCommandInfo(' '.join(_quote(c) for c in cmd))
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    events = queue.Queue()
    stdout_chunks = []

    def read_stderr():
        for raw in proc.stderr:
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            if line.startswith('{"progress"'):
                try:
                    events.put(('progress', json.loads(line)))
                    continue
                except ValueError:
                    pass
            events.put(('log', line))

    def read_stdout():
        stdout_chunks.append(proc.stdout.read())

    threads = [threading.Thread(target=read_stderr, daemon=True), threading.Thread(target=read_stdout, daemon=True)]
    for t in threads:
        t.start()
    lo, hi = progress_range
    messages = []
    last_stage = None
    on_main_thread = QThread.currentThread() == QCoreApplication.instance().thread() if QCoreApplication.instance() else False

    def drain():
        nonlocal last_stage
        while True:
            try:
                kind, value = events.get_nowait()
            except queue.Empty:
                return
            if kind == 'progress':
                if feedback:
                    feedback.setProgress(lo + (hi - lo) * float(value.get('progress', 0.0)))
                    stage = value.get('stage')
                    if stage and stage != last_stage:
                        feedback.setProgressText(f'pjd: {stage}')
                last_stage = value.get('stage', last_stage)
            else:
                messages.append(value)
                if feedback and value.strip():
                    if ': warning:' in value or ': note:' in value:
                        feedback.pushWarning(value)
                    else:
                        feedback.pushConsoleInfo(value)

    try:
        while proc.poll() is None:
            drain()
            if on_main_thread:
                QCoreApplication.processEvents()
            if feedback and feedback.isCanceled():
                _kill(proc)
                raise QgsProcessingException('Canceled: pjd was stopped before it finished.')
            time.sleep(0.05)
    except BaseException:
        _kill(proc)  # also on KeyboardInterrupt or any error in this loop
        for t in threads:
            t.join(timeout=2)
        raise
    for t in threads:
        t.join()
    drain()
    code = proc.returncode
    if code not in ok_codes:
        text = '\n'.join(m for m in messages if m.strip()) or f'pjd exited with code {code} and no message'
        raise QgsProcessingException(text)
    if feedback:
        feedback.setProgress(hi)
    return code, b''.join(stdout_chunks).decode('utf-8', 'replace')


def _quote(s):
    return s if re.fullmatch(r'[\w@%+=:,./-]+', s) else "'" + s.replace("'", "'\\''") + "'"
