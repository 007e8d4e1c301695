"""pjd's JSON tables ({"columns": [...], "rows": [{...}]}) and vector files into Processing sinks."""
import json

from qgis.core import (QgsFeature, QgsFeatureSink, QgsField, QgsFields, QgsProcessingException,
                       QgsVectorLayer, QgsWkbTypes, QgsCoordinateReferenceSystem)
from qgis.PyQt.QtCore import QVariant


def _column_type(values):
    values = [v for v in values if v is not None]
    if values and all(isinstance(v, bool) for v in values):
        return QVariant.Bool
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return QVariant.LongLong
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return QVariant.Double
    return QVariant.String


def _cell(v, qtype):
    if v is None:
        return None
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    if qtype == QVariant.String and not isinstance(v, str):
        return json.dumps(v)
    return v


def table_fields(columns, rows):
    fields = QgsFields()
    types = []
    for c in columns:
        t = _column_type([r.get(c) for r in rows])
        types.append(t)
        fields.append(QgsField(c, t))
    return fields, types


def write_table(alg, parameters, key, context, columns, rows, feedback=None, optional=False):
    """Writes rows into the table (no geometry) sink `key`; returns its destination id, or None
    for an optional sink the user chose to skip."""
    fields, types = table_fields(columns, rows)
    sink, dest = alg.parameterAsSink(parameters, key, context, fields, QgsWkbTypes.NoGeometry,
                                     QgsCoordinateReferenceSystem())
    if sink is None:
        if optional:
            return None
        raise QgsProcessingException(alg.invalidSinkError(parameters, key))
    for r in rows:
        f = QgsFeature(fields)
        f.setAttributes([_cell(r.get(c), t) for c, t in zip(columns, types)])
        if not sink.addFeature(f, QgsFeatureSink.FastInsert):
            raise QgsProcessingException(f'could not write a row to {key}: {sink.lastError()}')
    return dest


def write_layer(alg, parameters, key, context, path, layer_name):
    """Copies layer `layer_name` of the vector file pjd wrote into the sink `key`.
    Returns (destination id, feature count)."""
    src = QgsVectorLayer(f'{path}|layername={layer_name}', layer_name, 'ogr')
    if not src.isValid():
        raise QgsProcessingException(f'pjd wrote {path}, but its layer "{layer_name}" does not open')
    fields = QgsFields()
    keep = []
    for i, f in enumerate(src.fields()):
        if f.name().lower() == 'fid':
            continue
        fields.append(QgsField(f))
        keep.append(i)
    sink, dest = alg.parameterAsSink(parameters, key, context, fields, src.wkbType(), src.crs())
    if sink is None:
        raise QgsProcessingException(alg.invalidSinkError(parameters, key))
    n = 0
    for feat in src.getFeatures():
        out = QgsFeature(fields)
        out.setGeometry(feat.geometry())
        attrs = feat.attributes()
        out.setAttributes([attrs[i] for i in keep])
        if not sink.addFeature(out, QgsFeatureSink.FastInsert):
            raise QgsProcessingException(f'could not write a feature to {key}: {sink.lastError()}')
        n += 1
    return dest, n
