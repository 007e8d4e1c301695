"""Plugin entry: registers the Processing provider (also in qgis_process, where iface is None)."""
from qgis.core import QgsApplication

from .provider import PjdProvider


class PjdProviderPlugin:

    def __init__(self, iface=None):
        self.iface = iface
        self.provider = None

    def initProcessing(self):
        if self.provider is None:
            self.provider = PjdProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
