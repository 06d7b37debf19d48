# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The shape of what a host returns, without its values: the fidelity recording (docs: "Check the collection against your hosts").

A shape says which objects came back and how each property travelled, never what it held: type names, property names, and
for each property its CLIXML kind - the tag of a typed value (S, B, I32, U32, I64, TS, DT, G, Version, ...), Nil, a list with
the kinds of its items (List[S]), a dictionary (Dict), an object with properties (Obj) or an enum object (Enum). Enum member
names (and their numbers) are the only texts a shape keeps: they are Hyper-V's vocabulary, not the user's. Error records keep
their command, FullyQualifiedErrorId, category and exception type; never their message or target.

Used on both sides: the collection's hyperv.mobility.fidelity_recording module records a real host, and the lab
(``python -m hvlab compare-recording``) records itself with the same code and lists the differences.
"""

from xml.etree import ElementTree

RECORDING_FORMAT = 'hyperv.mobility fidelity recording 1'
ABOUT = ('Shapes only: which objects each read of the collection returns, their type names, property names and how each value '
         'travelled (CLIXML kind), enum member names, and the shape of error records (command, FullyQualifiedErrorId, category, '
         'exception type). No value is recorded: no names, addresses, paths, messages or targets. The VM and destination the '
         'probe read are written as <vm> and <destination>.')
ENUM_TYPE = 'System.Enum'
_CONTAINERS = ('LST', 'IE', 'QUE', 'STK')


def _tag(element):
    return element.tag.rsplit('}', 1)[-1]


def _strip(type_name):
    return type_name[len('Deserialized.'):] if type_name.startswith('Deserialized.') else type_name


class _Reader:
    """Kinds of the elements of one CLIXML document (type name lists and objects may be referenced by RefId)."""

    def __init__(self):
        self.type_names = {}
        self.kinds = {}

    def names(self, element):
        for child in element:
            if _tag(child) == 'TN':
                names = [_strip(item.text or '') for item in child]
                self.type_names[child.attrib.get('RefId')] = names
                return names
            if _tag(child) == 'TNRef':
                return self.type_names.get(child.attrib.get('RefId'), [])
        return []

    def kind(self, element):
        tag = _tag(element)
        if tag == 'Ref':
            return self.kinds.get(element.attrib.get('RefId'), 'Obj')
        if tag != 'Obj':
            return tag
        names = self.names(element)
        children = dict((_tag(child), child) for child in element)
        if ENUM_TYPE in names:
            kind = 'Enum'
        elif any(name in children for name in _CONTAINERS):
            container = next(children[name] for name in _CONTAINERS if name in children)
            kind = 'List[%s]' % ','.join(sorted(set(self.kind(item) for item in container)))
        elif 'DCT' in children:
            kind = 'Dict'
        else:
            kind = 'Obj'
            for name in ('Props', 'MS'):
                for item in children.get(name, []):
                    self.kind(item)       # registers the RefIds of nested objects
        self.kinds[element.attrib.get('RefId')] = kind
        return kind

    def members(self, element, section):
        """{name: kind} of an object's <Props> (its own properties) or <MS> (members the type data or a note adds)."""
        found = {}
        for child in element:
            if _tag(child) == section:
                for item in child:
                    found[item.attrib.get('N')] = self.kind(item)
        return found


def output_shape(raw):
    """The shape of one output object: raw is the CLIXML text of it (the runner's output, or what pypsrp kept) or a plain
    value (pypsrp hands primitives over as Python values)."""
    if not isinstance(raw, str) or not raw.lstrip().startswith('<'):
        return {'kind': _python_kind(raw)}
    root = ElementTree.fromstring(raw)
    element = next(iter(root), None) if _tag(root) == 'Objs' else root
    if element is None:
        return {'kind': 'Nil'}
    reader = _Reader()
    kind = reader.kind(element)
    if kind != 'Obj':
        shape = {'kind': kind}
        if kind == 'Enum':
            shape.update(enum=_enum_member(element, reader.names(element)))
        return shape
    return {'kind': 'Obj', 'type_names': reader.names(element), 'properties': reader.members(element, 'Props'),
            'extended': reader.members(element, 'MS')}


def _enum_member(element, names):
    """{type, member, value} of an enum object: its type, its ToString (the member name) and its number."""
    text, number = None, None
    for child in element:
        if _tag(child) == 'ToString':
            text = child.text
        elif _tag(child) in ('I32', 'U32', 'I64', 'U64', 'I16', 'U16', 'By', 'SB'):
            number = int(child.text)
    return {'type': names[0] if names else None, 'member': text, 'value': number}


def _python_kind(value):
    if value is None:
        return 'Nil'
    if isinstance(value, bool):
        return 'B'
    if isinstance(value, int):
        return 'Integer'
    if isinstance(value, float):
        return 'Db'
    return 'S'


def error_shape(error):
    """An error record without its message and target: what kind of failure it is, not what it was about."""
    return {'command': error.command, 'fully_qualified_error_id': error.fully_qualified_error_id, 'category': error.category,
            'exception_type': error.exception_type}


def new_recording(transport):
    return {'format': RECORDING_FORMAT, 'about': ABOUT, 'transport': transport, 'reads': [], 'types': {}, 'enums': {},
            'values': []}


def add_read(recording, read_id, statements, raw_outputs, errors):
    """Record one read: its statements (already with placeholders), the shape of each output object and error record."""
    shapes = [output_shape(raw) for raw in raw_outputs]
    recording['reads'].append({
        'id': read_id, 'statements': statements,
        'outputs': [shape.get('type_names', [shape['kind']])[0] for shape in shapes],
        'errors': [error_shape(error) for error in errors],
    })
    for shape in shapes:
        if shape['kind'] == 'Obj':
            _add_type(recording['types'], shape)
        elif shape['kind'] == 'Enum':
            member = shape['enum']
            recording['enums'].setdefault(member['type'], {})[member['member']] = member['value']
        elif shape['kind'] not in recording['values']:
            recording['values'].append(shape['kind'])
            recording['values'].sort()


def _add_type(types, shape):
    """Merge an object's shape into its type's: every kind a property was seen with (Nil included) is kept."""
    entry = types.setdefault(shape['type_names'][0], {'type_names': shape['type_names'], 'properties': {}, 'extended': {}, 'seen': 0})
    entry['seen'] += 1
    for section in ('properties', 'extended'):
        for name, kind in shape[section].items():
            kinds = entry[section].setdefault(name, [])
            if kind not in kinds:
                kinds.append(kind)
                kinds.sort()


def statement_data(statement, placeholders):
    """A Command or Statement as recorded: names and parameters, every value equal to a placeholder's value replaced by it.

    placeholders: {'<vm>': 'the VM name the probe used', ...}: the only user values a read carries.
    """
    def value(item):
        if isinstance(item, (list, tuple)):
            return [value(element) for element in item]
        for mark, text in placeholders.items():
            if isinstance(item, str) and text is not None and item.lower() == text.lower():
                return mark
        return item
    return [{'name': command.name, 'parameters': dict((name, value(item)) for name, item in command.parameters.items())}
            for command in statement.commands]
