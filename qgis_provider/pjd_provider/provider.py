"""The Processing provider "pjd": the InSAR burst seams algorithms and the pjd executable setting."""
import os

from qgis.core import QgsApplication, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from . import pjd_runner
from .algorithms import ALGORITHMS

SETTINGS_GROUP = 'InSAR burst seams (pjd)'


class PjdProvider(QgsProcessingProvider):

    def id(self):
        return 'pjd'

    def name(self):
        return SETTINGS_GROUP

    def longName(self):
        try:
            from processing.core.ProcessingConfig import ProcessingConfig
            path = pjd_runner.usable_executable(ProcessingConfig.getSetting(pjd_runner.SETTING_EXECUTABLE))
            return f'{SETTINGS_GROUP}, pjd {".".join(map(str, pjd_runner.executable_version(path)))} at {path}'
        except Exception:
            return SETTINGS_GROUP

    def icon(self):
        icon = os.path.join(os.path.dirname(__file__), 'icon.svg')
        return QIcon(icon) if os.path.isfile(icon) else QgsApplication.getThemeIcon('/processingAlgorithm.svg')

    def load(self):
        from processing.core.ProcessingConfig import ProcessingConfig, Setting
        configured = pjd_runner.configured_executable()
        ProcessingConfig.settingIcons[SETTINGS_GROUP] = self.icon()
        ProcessingConfig.addSetting(Setting(
            SETTINGS_GROUP, pjd_runner.SETTING_EXECUTABLE, 'pjd executable', '', valuetype=Setting.FILE,
            placeholder=f'empty: {configured or "the install path"}, else pjd on PATH'))
        ProcessingConfig.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self):
        from processing.core.ProcessingConfig import ProcessingConfig
        if pjd_runner.SETTING_EXECUTABLE in ProcessingConfig.settings:
            ProcessingConfig.removeSetting(pjd_runner.SETTING_EXECUTABLE)

    def loadAlgorithms(self):
        for cls in ALGORITHMS:
            self.addAlgorithm(cls())

    def supportsNonFileBasedOutput(self):
        return True
