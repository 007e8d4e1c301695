"""Processing parameters built from `pjd <command> --help-json`, and pjd arguments built back
from the parameter values. The CLI is the one source of truth for names, types, choices,
defaults and help text; an algorithm only says how to present an option (file, folder, CRS,
advanced) or that the provider sets it itself (hidden)."""
import re

from qgis.core import (QgsProcessingParameterBoolean, QgsProcessingParameterCrs,
                       QgsProcessingParameterDefinition, QgsProcessingParameterEnum,
                       QgsProcessingParameterFile, QgsProcessingParameterNumber,
                       QgsProcessingParameterRange, QgsProcessingParameterString)

INT_TYPES = {'INT', 'UINT', 'INT64', 'UINT64', 'SIZE'}
FLOAT_TYPES = {'FLOAT', 'DOUBLE', 'NUMBER'}


def option_flag(opt):
    """The long flag pjd documents first in kebab case (--msk-avg-coh rather than --msk-avgCoh)."""
    longs = [f for f in opt.get('flags', []) if f.startswith('--')]
    kebab = [f for f in longs if f == f.lower()]
    return (kebab or longs or [None])[0]


def option_key(opt):
    """Processing parameter name: N_BURST for --n-burst, STACK for the positional STACK."""
    if opt.get('positional'):
        return re.sub(r'\W', '_', opt['name']).upper()
    return option_flag(opt).lstrip('-').replace('-', '_').upper()


def short_label(description):
    """The dialog label: the description up to its first parenthesis or comma clause."""
    label = re.split(r' \(|, | e\.g\. ', description, maxsplit=1)[0].strip()
    return label[:1].upper() + label[1:] if label else description


def _typed_default(opt, kind):
    d = opt.get('default')
    if d is None or d == '':
        return None
    try:
        if kind == 'int':
            return int(d)
        if kind == 'float':
            return float(d)
    except ValueError:
        return None
    return d


class CliParam:
    """One parameter and the pjd option it stands for."""

    def __init__(self, opt, definition, kind):
        self.opt = opt
        self.definition = definition
        self.kind = kind  # flag, enum, int, float, range, text, file, folder, crs
        self.key = definition.name()

    def args(self, alg, parameters, context):
        """The pjd arguments for this parameter's value (empty when not set)."""
        p, k = self.definition, self.key
        if k not in parameters or parameters[k] is None:
            if p.defaultValue() is None:
                return []
        flag = [] if self.opt.get('positional') else [option_flag(self.opt)]
        if self.kind == 'flag':
            return flag if alg.parameterAsBool(parameters, k, context) else []
        if self.kind == 'enum':
            idx = alg.parameterAsEnum(parameters, k, context)
            value = self.opt['choices'][idx] if idx is not None and 0 <= idx < len(self.opt['choices']) else None
            return flag + [value] if value is not None and (parameters.get(k) is not None or p.defaultValue() is not None) else []
        if self.kind in ('int', 'float'):
            raw = parameters.get(k, p.defaultValue())
            if raw is None or raw == '':
                return []
            v = alg.parameterAsInt(parameters, k, context) if self.kind == 'int' else alg.parameterAsDouble(parameters, k, context)
            return flag + [repr(v) if self.kind == 'float' else str(v)]
        if self.kind == 'range':
            raw = parameters.get(k)
            if raw is None or raw == '':
                return []
            lo, hi = alg.parameterAsRange(parameters, k, context)
            return flag + [str(int(lo)), str(int(hi))]
        if self.kind == 'crs':
            crs = alg.parameterAsCrs(parameters, k, context)
            if not crs.isValid():
                return []
            return flag + [crs.authid() or crs.toWkt()]
        if self.kind in ('file', 'folder'):
            v = alg.parameterAsFile(parameters, k, context)
        else:
            v = alg.parameterAsString(parameters, k, context)
        return flag + [v] if v else []


def build(opt, present=None):
    """A Processing parameter for one --help-json option. present: dict of overrides
    (kind: file/folder/crs; label; help; advanced; default; optional; filter; name; min)."""
    present = present or {}
    key = present.get('name') or option_key(opt)
    desc = opt.get('description') or opt['name']
    label = present.get('label') or short_label(desc)
    # Optional unless pjd requires it: an optional parameter left empty leaves pjd's own default.
    optional = present.get('optional', not opt.get('required', False))
    typ_full = (opt.get('type') or 'TEXT').upper()
    typ = typ_full.split(':')[0]  # FLOAT:NONNEGATIVE -> FLOAT
    choices = opt.get('choices')
    kind = present.get('kind')
    if kind is None:
        if typ == 'FLAG':
            kind = 'flag'
        elif choices:
            kind = 'enum'
        elif typ in INT_TYPES and opt.get('count') == 2:
            kind = 'range'
        elif typ in INT_TYPES:
            kind = 'int'
        elif typ in FLOAT_TYPES:
            kind = 'float'
        else:
            kind = 'text'
    default = present['default'] if 'default' in present else _typed_default(opt, kind)

    if kind == 'flag':
        p = QgsProcessingParameterBoolean(key, label, defaultValue=bool(default) if default is not None else False,
                                          optional=True)
    elif kind == 'enum':
        idx = choices.index(default) if default in choices else None
        p = QgsProcessingParameterEnum(key, label, options=choices, allowMultiple=False, defaultValue=idx,
                                       optional=optional or idx is not None)
    elif kind in ('int', 'float'):
        p = QgsProcessingParameterNumber(
            key, label, QgsProcessingParameterNumber.Integer if kind == 'int' else QgsProcessingParameterNumber.Double,
            defaultValue=default, optional=optional)
        minimum = present.get('min', 0 if typ.startswith('U') or 'NONNEGATIVE' in typ_full else None)
        if minimum is not None:
            p.setMinimum(minimum)
        if kind == 'float':  # as many decimals as the default has, at least 2 (not QGIS's 6)
            shown = str(opt.get('default') or '')
            decimals = max(2, len(shown.split('.')[1]) if '.' in shown else 0)
            p.setMetadata({'widget_wrapper': {'decimals': decimals}})
    elif kind == 'range':
        p = QgsProcessingParameterRange(key, label, QgsProcessingParameterNumber.Integer, defaultValue=None,
                                        optional=optional)
    elif kind == 'file':
        p = QgsProcessingParameterFile(key, label, behavior=QgsProcessingParameterFile.File,
                                       fileFilter=present.get('filter', ''), defaultValue=default, optional=optional)
    elif kind == 'folder':
        p = QgsProcessingParameterFile(key, label, behavior=QgsProcessingParameterFile.Folder,
                                       defaultValue=default, optional=optional)
    elif kind == 'crs':
        p = QgsProcessingParameterCrs(key, label, defaultValue=default, optional=optional)
    else:
        p = QgsProcessingParameterString(key, label, defaultValue=default, optional=optional)

    flags = ', '.join(opt.get('flags') or []) or opt['name']
    p.setHelp(present.get('help') or f'{desc} (pjd option {flags})')
    if present.get('advanced'):
        p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    return CliParam(opt, p, kind)


def help_html(title, params, intro=''):
    """The help panel text: each parameter's label, pjd flag and full description."""
    rows = []
    for cp in params:
        flags = ', '.join(cp.opt.get('flags') or []) or cp.opt['name']
        default = cp.opt.get('default')
        extra = f' Default: {default}.' if default not in (None, '') else ''
        rows.append(f'<li><b>{cp.definition.description()}</b> (<code>{flags}</code>): '
                    f'{cp.opt.get("description", "")}.{extra}</li>'.replace('..', '.'))
    return f'{intro}<h3>Parameters</h3><ul>{"".join(rows)}</ul>' if rows else intro
