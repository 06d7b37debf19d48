#!/usr/bin/env python
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the lab's reference facts (tests/lab/hvlab/reference) were read out of the Hyper-V PowerShell module's C# source.

Given a local folder of the decompiled module's .cs files (and optionally a types.ps1xml), this parses:
  * each cmdlet class: [Cmdlet(verb, noun, SupportsShouldProcess, ConfirmImpact)], [OutputType(...)] per parameter set,
    and where the cmdlet calls ShouldProcess relative to the state checks it throws from (a hint; see should_process_order);
  * each class: its base class, its public instance properties with their .NET types, the [VirtualizationObjectIdentifier]
    flags that make up VirtualizationObject.ToString(), whether it overrides ToString();
  * each enum: its members and numeric values (implicit values counted the way C# does);
  * types.ps1xml: alias/script/note properties and the PSStandardMembers serialisation settings per type.

and classifies how each property arrives through PowerShell remoting at the default depth of 1 (classify_remoting).

Usage:
  extract_hyperv_reference.py extract SOURCE_DIR [--types-ps1xml FILE] [--out FILE]
      print (or write) the extraction as JSON: {"cmdlets": ..., "types": ..., "enums": ...}
  extract_hyperv_reference.py compare SOURCE_DIR [--types-ps1xml FILE] [--reference DIR]
      compare the extraction with tests/lab/hvlab/reference (default); exit 1 listing every difference.

The reference JSON carries more than the extraction (sources, semantics, error behaviour read by a person); `compare`
checks only what the parser can see, for the cmdlets and types present in both.
"""

import argparse
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_REFERENCE = os.path.join(REPO_ROOT, 'tests', 'lab', 'hvlab', 'reference')

# C# keywords and the short names the module uses, as .NET type names.
TYPE_ALIASES = {
    'string': 'System.String', 'bool': 'System.Boolean', 'char': 'System.Char', 'byte': 'System.Byte', 'sbyte': 'System.SByte',
    'short': 'System.Int16', 'ushort': 'System.UInt16', 'int': 'System.Int32', 'uint': 'System.UInt32', 'long': 'System.Int64',
    'ulong': 'System.UInt64', 'float': 'System.Single', 'double': 'System.Double', 'decimal': 'System.Decimal', 'object': 'System.Object',
    'Guid': 'System.Guid', 'DateTime': 'System.DateTime', 'TimeSpan': 'System.TimeSpan', 'Version': 'System.Version', 'Uri': 'System.Uri',
    'Hashtable': 'System.Collections.Hashtable', 'IDictionary': 'System.Collections.IDictionary',
    'List': 'System.Collections.Generic.List', 'IList': 'System.Collections.Generic.IList',
    'IReadOnlyList': 'System.Collections.Generic.IReadOnlyList', 'IEnumerable': 'System.Collections.Generic.IEnumerable',
    'ICollection': 'System.Collections.Generic.ICollection', 'Dictionary': 'System.Collections.Generic.Dictionary',
    'IReadOnlyDictionary': 'System.Collections.Generic.IReadOnlyDictionary',
    'CimInstance': 'Microsoft.Management.Infrastructure.CimInstance', 'CimSession': 'Microsoft.Management.Infrastructure.CimSession',
    'PSCredential': 'System.Management.Automation.PSCredential', 'SwitchParameter': 'System.Management.Automation.SwitchParameter',
    'PSObject': 'System.Management.Automation.PSObject', 'SecureString': 'System.Security.SecureString',
}

# PowerShell's serializer writes these as a typed value at any depth (serialization.cs KnownTypes).
PRIMITIVE_KNOWN_TYPES = frozenset((
    'System.String', 'System.Char', 'System.Boolean', 'System.DateTime', 'System.TimeSpan', 'System.Byte', 'System.SByte',
    'System.UInt16', 'System.Int16', 'System.UInt32', 'System.Int32', 'System.UInt64', 'System.Int64', 'System.Single',
    'System.Double', 'System.Decimal', 'System.Byte[]', 'System.Guid', 'System.Uri', 'System.Version', 'System.Xml.XmlDocument',
    'System.Management.Automation.ScriptBlock', 'System.Security.SecureString', 'System.Management.Automation.ProgressRecord',
))
# The serializer gives these a depth of their own whatever the depth they are met at (GetDepthOfSerialization).
OWN_DEPTH_TYPES = frozenset(('Microsoft.Management.Infrastructure.CimInstance', 'System.Management.Automation.PSCredential',
                             'System.Management.Automation.SwitchParameter'))
LIST_TYPES = frozenset(('System.Collections.Generic.List', 'System.Collections.Generic.IList', 'System.Collections.Generic.IReadOnlyList',
                        'System.Collections.Generic.IEnumerable', 'System.Collections.Generic.ICollection',
                        'System.Collections.ObjectModel.Collection', 'System.Collections.ObjectModel.ReadOnlyCollection'))
DICTIONARY_TYPES = frozenset(('System.Collections.Hashtable', 'System.Collections.IDictionary', 'System.Collections.Generic.Dictionary',
                              'System.Collections.Generic.IDictionary', 'System.Collections.Generic.IReadOnlyDictionary'))

# How a property of a top-level output object arrives at the client (remoting depth 1: the object is written at depth 1,
# its properties at depth 0).
REMOTING_KINDS = ('value', 'string', 'list_of_values', 'list_of_strings', 'dictionary', 'object', 'runtime')

# PSStandardMembers notes of types.ps1xml that steer serialisation.
SERIALIZATION_SETTINGS = ('SerializationDepth', 'SerializationMethod', 'StringSerializationSource', 'TargetTypeForDeserialization')

CONFIRM_IMPACT_DEFAULT = 'Medium'  # CmdletCommonMetadataAttribute.ConfirmImpact when the attribute leaves it out

# Method names of the module's cmdlet base classes that run before a per-operand ShouldProcess call.
METHODS_BEFORE_OPERAND = ('NormalizeParameters', 'ValidateParameters', 'EnumerateOperands', 'ValidateOperandList')
STATE_CHECK_MARKERS = ('CreateInvalidStateException', 'ReportInvalidModeError', 'CreateOperationFailedException',
                       'CreateInvalidOperationException', 'CreateObjectNotFoundException', 'CreateInvalidArgumentException')


def strip_comments(text):
    """C# source without // and /* */ comments; string literals are kept."""
    pattern = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.S)
    return pattern.sub(lambda match: match.group(0) if match.group(0).startswith('"') else '', text)


def balanced(text, start, opening='(', closing=')'):
    """End index (exclusive) of the bracket group opening at text[start]."""
    level = 0
    index = start
    in_string = False
    while index < len(text):
        char = text[index]
        if in_string:
            if char == '\\':
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == opening:
            level += 1
        elif char == closing:
            level -= 1
            if level == 0:
                return index + 1
        index += 1
    raise ValueError('unbalanced %s at %d' % (opening, start))


def split_top_level(text, separator=','):
    """Split on separators outside (), {}, [], <> and string literals."""
    parts, level, current, in_string = [], 0, [], False
    for char in text:
        if in_string:
            current.append(char)
            in_string = char != '"'
            continue
        if char == '"':
            in_string = True
        elif char in '({[<':
            level += 1
        elif char in ')}]>':
            level -= 1
        if char == separator and level == 0:
            parts.append(''.join(current).strip())
            current = []
        else:
            current.append(char)
    if ''.join(current).strip():
        parts.append(''.join(current).strip())
    return parts


def attribute_arguments(text):
    """Positional and named arguments of one attribute's argument list."""
    positional, named = [], {}
    for part in split_top_level(text):
        match = re.match(r'^(\w+)\s*=\s*(.+)$', part, re.S)
        if match and not part.startswith('"'):
            named[match.group(1)] = match.group(2).strip()
        else:
            positional.append(part)
    return positional, named


def string_literal(expression):
    expression = expression.strip()
    if expression.startswith('"') and expression.endswith('"'):
        return expression[1:-1]
    # VerbsCommon.Get, VerbsLifecycle.Start...: the constant's name is the verb
    return expression.rsplit('.', 1)[-1]


def namespace_of(text):
    match = re.search(r'^\s*namespace\s+([\w.]+)', text, re.M)
    return match.group(1) if match else ''


TYPE_PATTERN = r'[A-Za-z_][\w.]*(?:\s*<[^;{}()=]*?>)?\??(?:\s*\[\s*\])*\??'
CLASS_PATTERN = re.compile(r'^[ \t]*((?:(?:public|internal|private|protected|sealed|abstract|static|partial)\s+)*)(class|struct|interface)\s+(\w+)'
                           r'(?:\s*<[^>]*>)?\s*(?::\s*([^{]+))?\{', re.M)
ENUM_PATTERN = re.compile(r'^[ \t]*(?:(?:public|internal|private|protected)\s+)*enum\s+(\w+)\s*(?::\s*([\w.]+))?\s*\{', re.M)
PROPERTY_PATTERN = re.compile(
    r'((?:\[[^\]]*(?:\[[^\]]*\][^\]]*)*\]\s*)*)'           # attributes
    r'public\s+((?:(?:override|virtual|new|abstract|sealed|static|readonly)\s+)*)'
    r'(' + TYPE_PATTERN + r')\s+(\w+)\s*(\{|=>)')


def class_body(text, match):
    start = match.end() - 1
    return text[start:balanced(text, start, '{', '}')]


def parse_attributes_before(text, position):
    """The [Attribute(...)] blocks directly above a declaration, as (name, argument text) pairs."""
    attributes = []
    index = position
    while True:
        head = text[:index].rstrip()
        if not head.endswith(']'):
            break
        depth, cursor = 0, len(head) - 1
        while cursor >= 0:
            if head[cursor] == ']':
                depth += 1
            elif head[cursor] == '[':
                depth -= 1
                if depth == 0:
                    break
            cursor -= 1
        block = head[cursor + 1:-1].strip()
        for item in split_top_level(block):
            match = re.match(r'^([\w.]+)\s*(?:\((.*)\))?$', item, re.S)
            if match:
                attributes.insert(0, (match.group(1).rsplit('.', 1)[-1].replace('Attribute', '') or match.group(1),
                                      match.group(2) or ''))
        index = cursor
    return attributes


def output_types_of(attributes, resolve):
    """[OutputType(...)] attributes as [{"parameter_sets": [...], "types": [...]}] (the attribute's order kept)."""
    entries = []
    for name, arguments in attributes:
        if name != 'OutputType':
            continue
        positional, named = attribute_arguments(arguments)
        types = []
        for argument in positional:
            types.extend(resolve(found) for found in re.findall(r'typeof\(\s*([^)]+?)\s*\)', argument))
            types.extend(re.findall(r'^"([^"]+)"$', argument))
        sets = re.findall(r'"([^"]+)"', named.get('ParameterSetName', '')) or ['__AllParameterSets']
        entries.append({'parameter_sets': sets, 'types': types})
    return entries


def should_process_order(body):
    """Where the cmdlet's own state checks sit relative to its ShouldProcess call.

    A heuristic over the module's cmdlet shape (VirtualizationCmdlet: NormalizeParameters/ValidateParameters and
    EnumerateOperands/ValidateOperandList run before the per-operand ProcessOneOperand): a check counts as "before" when it
    is in one of those methods or above the ShouldProcess call in the same method, "after" when below it. The reference's
    should_process_after_state_checks was read by a person; this hint exists to flag a file that changed.
    """
    call = re.search(r'(?<!\w)ShouldProcess\s*\(', body)
    if not call:
        return {'calls_should_process': False, 'checks_before': [], 'checks_after': []}
    before, after = [], []
    for method in re.finditer(r'(?:override|void|IList<[^>]*>|bool)\s+(\w+)\s*\([^)]*\)\s*\{', body):
        start = method.end() - 1
        end = balanced(body, start, '{', '}')
        for marker in re.finditer('|'.join(STATE_CHECK_MARKERS), body[start:end]):
            where = start + marker.start()
            if method.group(1) in METHODS_BEFORE_OPERAND or (start <= call.start() < end and where < call.start()):
                before.append('%s:%s' % (method.group(1), marker.group(0)))
            elif start <= call.start() < end or where > call.start():
                after.append('%s:%s' % (method.group(1), marker.group(0)))
    return {'calls_should_process': True, 'checks_before': before, 'checks_after': after}


def declarations(text, pattern):
    """(text without comments, its namespace, match) for each declaration the pattern finds in one C# file."""
    text = strip_comments(text)
    namespace = namespace_of(text)
    for match in pattern.finditer(text):
        yield text, namespace, match


def parse_cmdlets(text, resolve=None):
    """Every [Cmdlet(...)] class of one C# file."""
    resolve = resolve or (lambda name: dotnet_type(name, {}))
    cmdlets = []
    for code, namespace, match in declarations(text, CLASS_PATTERN):
        attributes = parse_attributes_before(code, match.start())
        cmdlet = [arguments for name, arguments in attributes if name == 'Cmdlet']
        if not cmdlet:
            continue
        positional, named = attribute_arguments(cmdlet[0])
        supports = named.get('SupportsShouldProcess', 'false').strip() == 'true'
        impact = named.get('ConfirmImpact')
        bases = [part.strip() for part in split_top_level(match.group(4) or '')]
        cmdlets.append({
            'name': '%s-%s' % (string_literal(positional[0]), string_literal(positional[1])),
            'class': '%s.%s' % (namespace, match.group(3)) if namespace else match.group(3),
            'supports_should_process': supports,
            # PowerShell reports ConfirmImpact None for a cmdlet without ShouldProcess, whatever the attribute says.
            'confirm_impact': (impact.rsplit('.', 1)[-1] if impact else CONFIRM_IMPACT_DEFAULT) if supports else None,
            'confirm_impact_explicit': impact is not None if supports else None,
            'default_parameter_set': string_literal(named['DefaultParameterSetName']) if 'DefaultParameterSetName' in named else None,
            'supports_force': 'ISupportsForce' in bases,
            'output_types': output_types_of(attributes, resolve),
            'should_process_order': should_process_order(class_body(code, match)),
        })
    return cmdlets


def parse_enums(text):
    """Every enum of one C# file: {name: {"namespace", "underlying", "members": {member: value}}}."""
    enums = {}
    for code, namespace, match in declarations(text, ENUM_PATTERN):
        body = class_body(code, match)[1:-1]
        body = re.sub(r'\[[^\]]*\]', '', body)
        members, following = {}, 0
        for item in split_top_level(body):
            name, _equals, value = item.partition('=')
            name, value = name.strip(), value.strip()
            if not name:
                continue
            if value:
                following = enum_value(value, members)
            members[name] = following
            following += 1
        enums[match.group(1)] = {'namespace': namespace, 'underlying': dotnet_type(match.group(2) or 'int', {}), 'members': members}
    return enums


def enum_value(expression, members):
    """A member's explicit value: a number, another member, or those joined by | (flags)."""
    total = 0
    for term in expression.split('|'):
        term = term.strip().strip('()').strip()
        term = re.sub(r'^\((?:u?int|u?long|u?short|s?byte)\)\s*', '', term)
        if term in members:
            total |= members[term]
        else:
            total |= int(term.rstrip('uUlL'), 0) if not term.startswith('-') else -int(term[1:].rstrip('uUlL'), 0)
    return total


def parse_classes(text):
    """Every class of one C# file: base, public instance properties, identifier flags, ToString override."""
    classes = {}
    for code, namespace, match in declarations(text, CLASS_PATTERN):
        if match.group(2) == 'interface':
            continue
        body = class_body(code, match)
        bases = [part.strip() for part in split_top_level(match.group(4) or '')]
        base = next((item for item in bases if not re.match(r'^I[A-Z]', item)), None)
        properties = {}
        for found in PROPERTY_PATTERN.finditer(body):
            if nesting_level(body, found.start()) != 1 or 'static' in found.group(2):
                continue
            attributes = parse_attributes_before(found.group(1), len(found.group(1)))
            identifier = [arguments for name, arguments in attributes if name == 'VirtualizationObjectIdentifier']
            flags = re.findall(r'IdentifierFlags\.(\w+)', identifier[0]) if identifier else []
            properties[found.group(4)] = {'cs_type': re.sub(r'\s+', '', found.group(3)), 'identifier': flags}
        classes[match.group(3)] = {
            'namespace': namespace, 'base': base, 'interfaces': [item for item in bases if item != base],
            'abstract': 'abstract' in match.group(1), 'properties': properties,
            'overrides_to_string': re.search(r'override\s+string\s+ToString\s*\(\s*\)', body) is not None,
        }
    return classes


def nesting_level(body, position):
    """Brace depth of a position inside a class body (1 = a member of the class itself)."""
    level = 0
    in_string = False
    for char in body[:position]:
        if in_string:
            in_string = char != '"'
        elif char == '"':
            in_string = True
        elif char == '{':
            level += 1
        elif char == '}':
            level -= 1
    return level


def dotnet_type(cs_type, known):
    """A C# type as PowerShell spells the .NET type: System.Int32[], System.Nullable[System.DateTime], List[...]."""
    cs_type = re.sub(r'\s+', '', cs_type)
    if cs_type.endswith('[]'):
        return dotnet_type(cs_type[:-2], known) + '[]'
    if cs_type.endswith('?'):
        return 'System.Nullable[%s]' % dotnet_type(cs_type[:-1], known)
    generic = re.match(r'^([\w.]+)<(.*)>$', cs_type)
    if generic:
        arguments = ','.join(dotnet_type(argument, known) for argument in split_top_level(generic.group(2)))
        return '%s[%s]' % (dotnet_type(generic.group(1), known), arguments)
    if cs_type in known:
        return known[cs_type]
    return TYPE_ALIASES.get(cs_type, cs_type)


def type_parts(type_name):
    """(outer, [arguments]) of a dotnet_type name: ('System.Nullable', ['System.Int32']), ('X[]', []) stays whole."""
    match = re.match(r'^([\w.`]+)\[(.+)\]$', type_name)
    if not match:
        return type_name, []
    return match.group(1), split_top_level(match.group(2))


def element_type(type_name):
    """The type a property's value is made of: X for X[], Nullable[X], List[X] and the like."""
    outer, arguments = type_parts(type_name)
    if type_name.endswith('[]'):
        return element_type(type_name[:-2])
    if outer == 'System.Nullable' or outer in LIST_TYPES:
        return element_type(arguments[0])
    return type_name


def classify_remoting(type_name):
    """How a property of this .NET type arrives when its object is a top-level remoting output (REMOTING_KINDS).

    The object is serialized at depth 1, so each property at depth 0: primitive known types stay values; anything else
    (enums included) becomes its ToString() as a string; collections do not use up depth, so their items are treated
    like the property itself (list_of_values / list_of_strings); dictionaries keep keys and primitive values;
    CimInstance/PSCredential carry their own depth and still arrive as objects; System.Object depends on the runtime value.
    """
    def element_kind(name):
        outer, arguments = type_parts(name)
        if outer == 'System.Nullable':
            return element_kind(arguments[0])
        if name in PRIMITIVE_KNOWN_TYPES:
            return 'value'
        if name == 'System.Object':
            return 'runtime'
        if name in OWN_DEPTH_TYPES:
            return 'object'
        return 'string'

    outer, arguments = type_parts(type_name)
    if type_name in PRIMITIVE_KNOWN_TYPES:
        return 'value'
    if type_name.endswith('[]') or outer in LIST_TYPES:
        item = element_kind(type_name[:-2] if type_name.endswith('[]') else arguments[0])
        return {'value': 'list_of_values', 'string': 'list_of_strings'}.get(item, 'runtime')
    if outer in DICTIONARY_TYPES or type_name in DICTIONARY_TYPES:
        return 'dictionary'
    return element_kind(type_name)  # enums are not primitive known types: at depth 0 they arrive as their name


def parse_types_ps1xml(text):
    """types.ps1xml: per type, its added members and PSStandardMembers serialisation settings."""
    root = ET.fromstring(text)
    types = {}
    for node in root.iter('Type'):
        name = (node.findtext('Name') or '').strip()
        entry = {'alias_properties': {}, 'script_properties': [], 'note_properties': {}, 'serialization': {}}
        members = node.find('Members')
        for member in (members if members is not None else []):
            member_name = (member.findtext('Name') or '').strip()
            if member.tag == 'AliasProperty':
                entry['alias_properties'][member_name] = (member.findtext('ReferencedMemberName') or '').strip()
            elif member.tag == 'ScriptProperty':
                entry['script_properties'].append(member_name)
            elif member.tag == 'NoteProperty':
                entry['note_properties'][member_name] = (member.findtext('Value') or '').strip()
            elif member.tag == 'MemberSet' and member_name == 'PSStandardMembers':
                for setting in member.iter():
                    setting_name = (setting.findtext('Name') or '').strip()
                    if setting.tag == 'NoteProperty' and setting_name in SERIALIZATION_SETTINGS:
                        entry['serialization'][setting_name] = (setting.findtext('Value') or '').strip()
                    elif setting.tag == 'PropertySet':
                        entry['serialization'][setting_name] = [item.text.strip() for item in setting.iter('Name')
                                                                if item.text and item.text.strip() != setting_name]
        types[name] = entry
    return types


def read_folder(source_dir):
    """All .cs files under a folder, parsed: (cmdlets, classes, enums) keyed by short name."""
    cmdlet_texts, classes, enums = [], {}, {}
    for folder, _subfolders, names in sorted(os.walk(source_dir)):
        for name in sorted(names):
            if not name.endswith('.cs'):
                continue
            with open(os.path.join(folder, name), encoding='utf-8-sig') as handle:
                text = handle.read()
            classes.update(parse_classes(text))
            enums.update(parse_enums(text))
            if '[Cmdlet(' in text:
                cmdlet_texts.append(text)
    return cmdlet_texts, classes, enums


def extract(source_dir, types_ps1xml=None):
    """The facts the parser can see, in the reference's vocabulary."""
    cmdlet_texts, classes, enums = read_folder(source_dir)
    known = {name: '%s.%s' % (info['namespace'], name) if info['namespace'] else name for name, info in list(classes.items()) + list(enums.items())}
    full_enum_names = {known[name] for name in enums}

    def resolve(name):
        return dotnet_type(name, known)

    cmdlets = {}
    for text in cmdlet_texts:
        for cmdlet in parse_cmdlets(text, resolve):
            cmdlets[cmdlet.pop('name')] = cmdlet
    cmdlet_classes = {entry['class'].rsplit('.', 1)[-1] for entry in cmdlets.values()}

    types = {}
    for name, info in classes.items():
        if name in cmdlet_classes:
            continue
        chain, current = [], name
        while current in classes and current not in chain:
            chain.append(current)
            current = re.sub(r'<.*$', '', classes[current]['base'] or '') or None
        properties, identifiers = {}, []
        for declaring in reversed(chain):
            for prop, detail in classes[declaring]['properties'].items():
                type_name = resolve(detail['cs_type'])
                properties[prop] = {'type': type_name, 'remoting': classify_remoting(type_name), 'declared_in': declaring}
                if element_type(type_name) in full_enum_names:
                    properties[prop]['enum'] = element_type(type_name)
        for declaring in chain:
            for prop, detail in classes[declaring]['properties'].items():
                if detail['identifier'] and prop not in [item[0] for item in identifiers]:
                    identifiers.append((prop, detail['identifier']))
        type_names = [known.get(item, item) for item in chain] + ([resolve(current)] if current and current not in chain else [])
        if type_names[-1] != 'System.Object':
            type_names.append('System.Object')
        types[known[name]] = {
            'type_names': type_names,
            'properties': properties,
            'identifiers': [{'property': prop, 'flags': flags} for prop, flags in identifiers],
            'overrides_to_string': any(classes[item]['overrides_to_string'] for item in chain),
        }
    if types_ps1xml:
        with open(types_ps1xml, encoding='utf-8-sig') as handle:
            extended = parse_types_ps1xml(handle.read())
        for name, entry in extended.items():
            if name in types:
                types[name]['types_ps1xml'] = entry
    enums_out = {known[name]: {'underlying': info['underlying'], 'members': info['members']} for name, info in enums.items()}
    return {'cmdlets': cmdlets, 'types': types, 'enums': enums_out}


def load_reference(reference_dir):
    with open(os.path.join(reference_dir, 'cmdlet_behaviour.json'), encoding='utf-8') as handle:
        cmdlets = json.load(handle)['cmdlets']
    with open(os.path.join(reference_dir, 'types.json'), encoding='utf-8') as handle:
        types = json.load(handle)
    return cmdlets, types['types'], types['enums']


def compare(extracted, reference_dir=DEFAULT_REFERENCE):
    """Differences between an extraction and the reference, as sentences (empty: they agree)."""
    cmdlets, types, enums = load_reference(reference_dir)
    differences = []
    for name, found in sorted(extracted['cmdlets'].items()):
        if name not in cmdlets:
            continue
        expected = cmdlets[name]
        for key in ('supports_should_process', 'confirm_impact'):
            if expected.get(key) != found[key]:
                differences.append('%s %s: reference %r, source %r' % (name, key, expected.get(key), found[key]))
        if sorted_output(expected.get('output_types', [])) != sorted_output(found['output_types']):
            differences.append('%s output_types: reference %r, source %r' % (name, expected.get('output_types'), found['output_types']))
    # A folder may hold only part of the module: properties inherited from classes it lacks are not differences.
    classes_seen = {name.rsplit('.', 1)[-1] for name in extracted['types']}
    for name, found in sorted(extracted['types'].items()):
        if name not in types:
            continue
        expected = types[name]['properties']
        for prop in sorted(set(expected) ^ set(found['properties'])):
            if prop in expected and expected[prop].get('declared_in', name.rsplit('.', 1)[-1]) not in classes_seen:
                continue
            side = 'only in the reference' if prop in expected else 'only in the source'
            differences.append('%s.%s: %s' % (name, prop, side))
        for prop in sorted(set(expected) & set(found['properties'])):
            for key in ('type', 'remoting'):
                if expected[prop][key] != found['properties'][prop][key]:
                    differences.append('%s.%s %s: reference %r, source %r' % (name, prop, key, expected[prop][key], found['properties'][prop][key]))
    for name, found in sorted(extracted['enums'].items()):
        if name in enums and enums[name]['members'] != found['members']:
            differences.append('%s members: reference %r, source %r' % (name, enums[name]['members'], found['members']))
    return differences


def sorted_output(entries):
    """Output types by short name: a partial folder cannot resolve the namespace of a type it does not hold."""
    return sorted((tuple(sorted(entry['parameter_sets'])), tuple(sorted(item.rsplit('.', 1)[-1] for item in entry['types'])))
                  for entry in entries)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    commands = parser.add_subparsers(dest='command', required=True)
    for command in ('extract', 'compare'):
        sub = commands.add_parser(command)
        sub.add_argument('source_dir', help="folder of the decompiled module's .cs files")
        sub.add_argument('--types-ps1xml', help='a types.ps1xml to read extended members and serialisation settings from')
        if command == 'extract':
            sub.add_argument('--out', help='write the JSON here instead of standard output')
        else:
            sub.add_argument('--reference', default=DEFAULT_REFERENCE, help='reference folder (default: %(default)s)')
    args = parser.parse_args(argv)
    if not os.path.isdir(args.source_dir):
        parser.error('source_dir %r is not a folder' % args.source_dir)
    extracted = extract(args.source_dir, args.types_ps1xml)
    if args.command == 'extract':
        text = json.dumps(extracted, indent=1, sort_keys=True) + '\n'
        if args.out:
            with open(args.out, 'w', encoding='utf-8') as handle:
                handle.write(text)
        else:
            sys.stdout.write(text)
        return 0
    differences = compare(extracted, args.reference)
    for line in differences:
        print(line)
    print('%d difference(s)' % len(differences))
    return 1 if differences else 0


if __name__ == '__main__':
    sys.exit(main())
