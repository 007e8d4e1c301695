"""pjd QGIS Processing provider: runs the pjd executable from the Processing toolbox."""


def classFactory(iface):
    from .plugin import PjdProviderPlugin
    return PjdProviderPlugin(iface)
