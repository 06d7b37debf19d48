"""Reference facts about Windows that the lab is driven by, each with its source (docs/dev/fidelity.md).

cmdlet_behaviour.json  per cmdlet: ShouldProcess, ConfirmImpact, checks before/after ShouldProcess, output types, errors
types.json             per output type: properties (.NET type, how each arrives over remoting), ToString, notes; enums
remoting.json          serialisation rules, error records, WSMan faults, Windows PowerShell 5.1 facts for the winrm runner
planned_cmdlets.json   documented signatures (the schema of hvlab/cmdlets.json) of the cmdlets the open issues will call:
                       each moves into hvlab/cmdlets.json together with the winrm runner's allow-list entry
                       (tests/unit/plugins/module_utils/test_winrm_runner.py: every documented cmdlet is allowed)

The files are data; this module only loads them (once per process).
"""

import functools
import json
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
FILES = ('cmdlet_behaviour.json', 'types.json', 'remoting.json', 'planned_cmdlets.json')


@functools.lru_cache(maxsize=None)
def load(name: str) -> dict:
    """One reference file as parsed JSON (treat it as read-only: the result is shared)."""
    if name not in FILES:
        raise ValueError('unknown reference file %r; expected one of %s' % (name, ', '.join(FILES)))
    with open(FOLDER / name, encoding='utf-8') as handle:
        return json.load(handle)


def cmdlet(name: str) -> dict:
    return load('cmdlet_behaviour.json')['cmdlets'][name]


def output_type(name: str) -> dict:
    return load('types.json')['types'][name]


def enum_members(name: str) -> dict:
    """{member: value} of an enum, by its full .NET name."""
    return load('types.json')['enums'][name]['members']
