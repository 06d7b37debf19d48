# -*- coding: utf-8 -*-
"""scripts/reference/extract_hyperv_reference.py on small C# snippets written for these tests (no network, no real module code)."""

import json
import os
import sys

import pytest

from collection_path import REPO_ROOT

sys.path.insert(0, os.path.join(REPO_ROOT, 'scripts', 'reference'))
import extract_hyperv_reference as extractor  # noqa: E402  pylint: disable=wrong-import-position

CMDLET_FILE = '''
using System;
namespace Contoso.Widgets.Commands;

// [Cmdlet("Commented", "Out")] must be ignored
[Cmdlet("Reset", "Widget", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = "ByName")]
[OutputType(new Type[] { typeof(Widget), typeof(WidgetReport) })]
[OutputType(typeof(string), ParameterSetName = new string[] { "Probe" })]
internal sealed class ResetWidget : WidgetCmdlet<Widget>, ISupportsForce
{
    [Parameter(ParameterSetName = "ByName", Position = 0)]
    public string[] Name { get; set; }

    internal override IList<Widget> EnumerateOperands(IOperationWatcher watcher)
    {
        if (Name == null)
        {
            throw ExceptionHelper.CreateObjectNotFoundException("no widget", null);
        }
        return Lookup(Name);
    }

    internal override void ProcessOneOperand(Widget operand, IOperationWatcher watcher)
    {
        if (watcher.ShouldProcess("reset " + operand.Name))
        {
            if (operand.Broken)
            {
                throw ExceptionHelper.CreateInvalidStateException("broken", null, operand);
            }
            operand.Reset();
        }
    }
}

[Cmdlet(VerbsCommon.Get, "Widget")]
[OutputType(typeof(Widget))]
internal sealed class GetWidget : WidgetCmdlet<Widget>
{
}

[Cmdlet("Tune", "Widget", SupportsShouldProcess = true)]
internal sealed class TuneWidget : WidgetCmdlet<Widget>
{
    internal override void ProcessOneOperand(Widget operand, IOperationWatcher watcher)
    {
        if (operand.Locked)
        {
            throw ExceptionHelper.CreateInvalidOperationException("locked", null, operand);
        }
        if (watcher.ShouldProcess("tune"))
        {
            operand.Tune();
        }
    }
}
'''

TYPES_FILE = '''
namespace Contoso.Widgets;

internal abstract class Thing : IDisposable
{
    [VirtualizationObjectIdentifier(IdentifierFlags.UniqueIdentifier)]
    public Guid Id => m_id;

    [VirtualizationObjectIdentifier(IdentifierFlags.FriendlyName)]
    public virtual string Name { get; }

    public static int Count { get; }

    internal string Secret => "x";
}

internal sealed class Widget : Thing
{
    public override string Name
    {
        get
        {
            var probe = new { Inner = 1 };
            return Format(() => { return "w"; });
        }
    }

    public WidgetColour Colour { get; set; }

    public WidgetColour? LastColour => null;

    public List<Gear> Gears { get; } = new List<Gear>();

    public IReadOnlyList<string> Tags => m_tags;

    public Dictionary<string, List<int>> Counters { get; }

    public DateTime? Built { get; set; }

    public CimInstance Raw { get; }

    public object Payload { get; }

    public override string ToString()
    {
        return "Widget";
    }
}

internal enum WidgetColour : ushort
{
    Red,
    [Description("green")]
    Green = 5,
    Blue,
    Mixed = Red | Blue,
    Hex = 0x20,
}
'''


@pytest.fixture(name='source_dir')
def fixture_source_dir(tmp_path):
    folder = tmp_path / 'module'
    (folder / 'Commands').mkdir(parents=True)
    (folder / 'Commands' / 'Widgets.cs').write_text(CMDLET_FILE, encoding='utf-8')
    (folder / 'Widget.cs').write_text(TYPES_FILE, encoding='utf-8')
    (folder / 'notes.txt').write_text('[Cmdlet("Not", "Code")] in a text file', encoding='utf-8')
    return str(folder)


def test_cmdlet_attribute_gives_impact_should_process_and_output_types_per_parameter_set():
    cmdlets = {entry['name']: entry for entry in extractor.parse_cmdlets(CMDLET_FILE)}
    assert sorted(cmdlets) == ['Get-Widget', 'Reset-Widget', 'Tune-Widget']
    reset = cmdlets['Reset-Widget']
    assert reset['class'] == 'Contoso.Widgets.Commands.ResetWidget'
    assert (reset['supports_should_process'], reset['confirm_impact'], reset['confirm_impact_explicit']) == (True, 'High', True)
    assert reset['default_parameter_set'] == 'ByName'
    assert reset['supports_force'] is True
    assert reset['output_types'] == [{'parameter_sets': ['__AllParameterSets'], 'types': ['Widget', 'WidgetReport']},
                                     {'parameter_sets': ['Probe'], 'types': ['System.String']}]


def test_confirm_impact_left_out_is_medium_none_without_should_process_and_a_verb_constant_is_its_name():
    cmdlets = {entry['name']: entry for entry in extractor.parse_cmdlets(CMDLET_FILE)}
    assert (cmdlets['Tune-Widget']['confirm_impact'], cmdlets['Tune-Widget']['confirm_impact_explicit']) == ('Medium', False)
    get = cmdlets['Get-Widget']
    assert (get['supports_should_process'], get['confirm_impact'], get['confirm_impact_explicit']) == (False, None, None)
    assert get['supports_force'] is False


def test_should_process_order_places_each_check_before_or_after_the_call():
    cmdlets = {entry['name']: entry for entry in extractor.parse_cmdlets(CMDLET_FILE)}
    assert cmdlets['Reset-Widget']['should_process_order'] == {
        'calls_should_process': True,
        'checks_before': ['EnumerateOperands:CreateObjectNotFoundException'],
        'checks_after': ['ProcessOneOperand:CreateInvalidStateException'],
    }
    assert cmdlets['Tune-Widget']['should_process_order'] == {
        'calls_should_process': True, 'checks_before': ['ProcessOneOperand:CreateInvalidOperationException'], 'checks_after': []}
    assert cmdlets['Get-Widget']['should_process_order'] == {'calls_should_process': False, 'checks_before': [], 'checks_after': []}


def test_enum_values_count_on_from_the_previous_member_and_accept_hex_and_flags():
    enums = extractor.parse_enums(TYPES_FILE)
    assert enums == {'WidgetColour': {'namespace': 'Contoso.Widgets', 'underlying': 'System.UInt16',
                                      'members': {'Red': 0, 'Green': 5, 'Blue': 6, 'Mixed': 6, 'Hex': 32}}}


def test_classes_keep_public_instance_properties_only_with_identifier_flags():
    classes = extractor.parse_classes(TYPES_FILE)
    thing = classes['Thing']
    assert thing['abstract'] is True
    assert (thing['base'], thing['interfaces']) == (None, ['IDisposable'])
    assert thing['properties'] == {'Id': {'cs_type': 'Guid', 'identifier': ['UniqueIdentifier']},
                                   'Name': {'cs_type': 'string', 'identifier': ['FriendlyName']}}
    widget = classes['Widget']
    assert widget['base'] == 'Thing'
    assert widget['overrides_to_string'] is True
    assert list(widget['properties']) == ['Name', 'Colour', 'LastColour', 'Gears', 'Tags', 'Counters', 'Built', 'Raw', 'Payload']
    assert widget['properties']['Counters']['cs_type'] == 'Dictionary<string,List<int>>'


@pytest.mark.parametrize('cs_type, expected', [
    ('int', 'System.Int32'),
    ('DateTime?', 'System.Nullable[System.DateTime]'),
    ('string[]', 'System.String[]'),
    ('List<Gear>', 'System.Collections.Generic.List[Contoso.Gear]'),
    ('Dictionary<string, List<int>>', 'System.Collections.Generic.Dictionary[System.String,System.Collections.Generic.List[System.Int32]]'),
    ('Unheard', 'Unheard'),
])
def test_dotnet_type_spells_types_as_powershell_does(cs_type, expected):
    assert extractor.dotnet_type(cs_type, {'Gear': 'Contoso.Gear'}) == expected


@pytest.mark.parametrize('type_name, kind', [
    ('System.String', 'value'),
    ('System.TimeSpan', 'value'),
    ('System.Nullable[System.Guid]', 'value'),
    ('System.Version', 'value'),
    ('Contoso.WidgetColour', 'string'),
    ('System.Nullable[Contoso.WidgetColour]', 'string'),
    ('Contoso.Gear', 'string'),
    ('System.String[]', 'list_of_values'),
    ('System.Collections.Generic.IReadOnlyList[System.String]', 'list_of_values'),
    ('Contoso.WidgetColour[]', 'list_of_strings'),
    ('System.Collections.Generic.List[Contoso.Gear]', 'list_of_strings'),
    ('System.Collections.Hashtable', 'dictionary'),
    ('System.Collections.Generic.Dictionary[System.String,System.Int32]', 'dictionary'),
    ('Microsoft.Management.Infrastructure.CimInstance', 'object'),
    ('System.Object', 'runtime'),
])
def test_remoting_kind_at_depth_one(type_name, kind):
    assert extractor.classify_remoting(type_name) == kind
    assert kind in extractor.REMOTING_KINDS


def test_types_ps1xml_members_and_serialisation_settings():
    text = '''<Types><Type><Name>Contoso.Widgets.Widget</Name><Members>
      <AliasProperty><Name>WidgetName</Name><ReferencedMemberName>Name</ReferencedMemberName></AliasProperty>
      <ScriptProperty><Name>Age</Name><GetScriptBlock>1</GetScriptBlock></ScriptProperty>
      <NoteProperty><Name>Kind</Name><Value>demo</Value></NoteProperty>
      <MemberSet><Name>PSStandardMembers</Name><Members>
        <NoteProperty><Name>SerializationDepth</Name><Value>2</Value></NoteProperty>
        <PropertySet><Name>DefaultDisplayPropertySet</Name><ReferencedProperties><Name>Name</Name><Name>Colour</Name></ReferencedProperties></PropertySet>
      </Members></MemberSet></Members></Type></Types>'''
    assert extractor.parse_types_ps1xml(text) == {'Contoso.Widgets.Widget': {
        'alias_properties': {'WidgetName': 'Name'}, 'script_properties': ['Age'], 'note_properties': {'Kind': 'demo'},
        'serialization': {'SerializationDepth': '2', 'DefaultDisplayPropertySet': ['Name', 'Colour']}}}


def test_extract_merges_inherited_properties_and_names_the_type_hierarchy(source_dir):
    extracted = extractor.extract(source_dir)
    assert sorted(extracted['cmdlets']) == ['Get-Widget', 'Reset-Widget', 'Tune-Widget']
    assert extracted['cmdlets']['Reset-Widget']['output_types'][0]['types'] == ['Contoso.Widgets.Widget', 'WidgetReport']
    widget = extracted['types']['Contoso.Widgets.Widget']
    assert widget['type_names'] == ['Contoso.Widgets.Widget', 'Contoso.Widgets.Thing', 'System.Object']
    assert widget['properties']['Id'] == {'type': 'System.Guid', 'remoting': 'value', 'declared_in': 'Thing'}
    assert widget['properties']['Name']['declared_in'] == 'Widget'
    assert widget['properties']['LastColour'] == {'type': 'System.Nullable[Contoso.Widgets.WidgetColour]', 'remoting': 'string',
                                                  'declared_in': 'Widget', 'enum': 'Contoso.Widgets.WidgetColour'}
    assert widget['identifiers'] == [{'property': 'Id', 'flags': ['UniqueIdentifier']}, {'property': 'Name', 'flags': ['FriendlyName']}]
    assert 'Contoso.Widgets.Commands.ResetWidget' not in extracted['types']
    assert extracted['enums']['Contoso.Widgets.WidgetColour']['members']['Blue'] == 6


def write_reference(folder, cmdlets, types, enums):
    folder.mkdir()
    (folder / 'cmdlet_behaviour.json').write_text(json.dumps({'cmdlets': cmdlets}), encoding='utf-8')
    (folder / 'types.json').write_text(json.dumps({'types': types, 'enums': enums}), encoding='utf-8')
    return str(folder)


def test_compare_agrees_with_a_reference_made_from_the_same_source(source_dir, tmp_path):
    extracted = extractor.extract(source_dir)
    reference = write_reference(tmp_path / 'reference', extracted['cmdlets'], extracted['types'], extracted['enums'])
    assert extractor.compare(extracted, reference) == []


def test_compare_names_every_difference(source_dir, tmp_path):
    extracted = extractor.extract(source_dir)
    cmdlets = json.loads(json.dumps(extracted['cmdlets']))
    cmdlets['Reset-Widget']['confirm_impact'] = 'Medium'
    cmdlets['Tune-Widget']['output_types'] = [{'parameter_sets': ['__AllParameterSets'], 'types': ['Contoso.Widgets.Widget']}]
    types = json.loads(json.dumps(extracted['types']))
    widget = types['Contoso.Widgets.Widget']['properties']
    widget['Colour']['remoting'] = 'value'
    del widget['Tags']
    widget['Invented'] = {'type': 'System.String', 'remoting': 'value'}
    enums = {'Contoso.Widgets.WidgetColour': {'members': {'Red': 0}}}
    reference = write_reference(tmp_path / 'reference', cmdlets, types, enums)
    assert extractor.compare(extracted, reference) == [
        "Reset-Widget confirm_impact: reference 'Medium', source 'High'",
        "Tune-Widget output_types: reference [{'parameter_sets': ['__AllParameterSets'], 'types': ['Contoso.Widgets.Widget']}], source []",
        'Contoso.Widgets.Widget.Invented: only in the reference',
        'Contoso.Widgets.Widget.Tags: only in the source',
        "Contoso.Widgets.Widget.Colour remoting: reference 'value', source 'string'",
        "Contoso.Widgets.WidgetColour members: reference {'Red': 0}, source {'Red': 0, 'Green': 5, 'Blue': 6, 'Mixed': 6, 'Hex': 32}",
    ]


def test_command_line_extracts_to_a_file_and_compare_exits_1_on_differences(source_dir, tmp_path, capsys):
    out = tmp_path / 'extracted.json'
    assert extractor.main(['extract', source_dir, '--out', str(out)]) == 0
    assert 'Reset-Widget' in json.loads(out.read_text(encoding='utf-8'))['cmdlets']
    claims = {'Get-Widget': {'supports_should_process': True, 'confirm_impact': 'Medium', 'output_types': []}}
    reference = write_reference(tmp_path / 'reference', claims, {}, {})
    assert extractor.main(['compare', source_dir, '--reference', reference]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == '3 difference(s)'


def test_command_line_refuses_a_source_dir_that_is_not_a_folder(tmp_path, capsys):
    with pytest.raises(SystemExit):
        extractor.main(['extract', str(tmp_path / 'missing')])
    assert "source_dir '%s' is not a folder" % (tmp_path / 'missing') in capsys.readouterr().err


def test_compare_ignores_properties_inherited_from_classes_the_folder_lacks(source_dir, tmp_path):
    extracted = extractor.extract(source_dir)
    types = json.loads(json.dumps(extracted['types']))
    types['Contoso.Widgets.Widget']['properties']['Owner'] = {'type': 'System.String', 'remoting': 'value', 'declared_in': 'ElsewhereBase'}
    reference = write_reference(tmp_path / 'reference', extracted['cmdlets'], types, extracted['enums'])
    assert extractor.compare(extracted, reference) == []
