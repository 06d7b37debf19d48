# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The AnsibleModule every module of the collection builds: ansible-core's, mended where its validation of options with
sub-options goes wrong on a value of the wrong type (both open in ansible-core 2.19, found by tests/unit/test_bad_input_properties.py).

- A number or a boolean given to a dict option with sub-options (``destination_connection: 0``) makes the validator raise a
  TypeError instead of reporting the option (ansible/ansible#81631): the module fails with a message naming the option.
- A value of the wrong type given to an option with sub-options stops the collection of no_log values there (ansible/ansible#81672),
  and the validation failure that follows returns every parameter in ``invocation.module_args``, passwords of the options not
  reached in clear. ansible-core 2.9 hid the invocation in that case (CVE-2019-14858); failures then carry no parameters again.
- An infinity given to an int option (``poll_interval: inf``, ``Infinity``) makes check_type_int raise an OverflowError instead
  of reporting the option (fixed upstream by ansible/ansible#87253, not in 2.19): the module fails with a message naming it.

And checks of the collection's own: no text option may hold a character no Windows or Hyper-V name or path can hold
(control_character_problems; issue 21 class 4), refused naming the option before any I/O, so psrp and winrm behave the same;
and no number option takes a boolean (check_type_int keeps True as 1 in value but not in type; found by
tests/unit/test_hostile_properties.py).
"""

import decimal
import re
import unicodedata

from ansible.module_utils import basic
from ansible.module_utils.errors import NoLogError

# What the result says instead of the parameters when their no_log values could not be collected.
HIDDEN_INVOCATION = {'module_args': 'HIDDEN DUE TO FAILURE'}


def given_options(argument_spec, parameters, prefix=''):
    """(name as the user reads it, spec, value) of every option given, sub-options too ('networks[0].x'), by its name or an alias."""
    for name, spec in argument_spec.items():
        if not isinstance(parameters, dict):
            return
        given = [key for key in [name] + list(spec.get('aliases') or []) if parameters.get(key) is not None]
        if not given:
            continue
        value = parameters[given[0]]
        yield prefix + given[0], spec, value
        if not spec.get('options'):
            continue
        elements = value if spec.get('type') == 'list' and isinstance(value, list) else [value]
        for index, element in enumerate(elements):
            where = '%s%s[%d].' % (prefix, given[0], index) if spec.get('type') == 'list' else '%s%s.' % (prefix, given[0])
            yield from given_options(spec['options'], element, where)


def scalars_given_to_dict_options(argument_spec, parameters):
    """[(name, its sub-options)] of the dict options with sub-options given a number or a boolean ('networks[0].x' when nested)."""
    return [(name, sorted(spec['options'])) for name, spec, value in given_options(argument_spec, parameters)
            if spec.get('options') and spec.get('type') == 'dict' and isinstance(value, (bool, int, float))]


def is_infinity(value):
    """Whether a value is one check_type_int overflows on: an infinite float, or text Decimal reads as an infinity."""
    if isinstance(value, bool) or not isinstance(value, (str, float)):
        return False
    try:
        return decimal.Decimal(value).is_infinite()
    except (decimal.DecimalException, ValueError):
        return False


def infinities_given_to_int_options(argument_spec, parameters):
    """[(name, value)] of the int options given an infinity."""
    return [(name, value) for name, spec, value in given_options(argument_spec, parameters) if spec.get('type') == 'int' and is_infinity(value)]


def booleans_given_to_number_options(argument_spec, parameters):
    """[(name, value)] of the int and float options given a boolean: check_type_int keeps it (a bool is an int in Python), and
    it then reaches code that takes no boolean (requests' timeouts raise a bare ValueError on hyperv_connection_timeout: true)."""
    return [(name, value) for name, spec, value in given_options(argument_spec, parameters)
            if spec.get('type') in ('int', 'float') and isinstance(value, bool)]


# Characters no Windows or Hyper-V name or path holds (issue 21 class 4). Win32 file and path names refuse U+0000..U+001F
# ("Naming Files, Paths, and Namespaces"); XML 1.0, which WS-Man, CIM and CLIXML travel in, has no place for U+0000..U+0008,
# U+000B, U+000C, U+000E..U+001F, surrogates, U+FFFE and U+FFFF (MS-PSRP 2.2.5.3.2 escapes them as _xHHHH_, but pypsrp
# writes U+FFFE as the character reference &#65534;, which no XML parser accepts). DEL and the C1 controls are refused too:
# no source says a VM, switch or server name holds them, so the conservative case.
UNNAMEABLE_CHARACTER = re.compile('[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]')
ACCEPTED_TEXT = 'printable characters only (no control character such as a newline or a tab, no U+FFFE / U+FFFF)'


def unnameable_character(text):
    """The first character of text no Windows name or path can hold, as 'U+001B (ESCAPE)', or None."""
    found = UNNAMEABLE_CHARACTER.search(text)
    if found is None:
        return None
    character = found.group(0)
    return 'U+%04X%s' % (ord(character), ' (%s)' % unicodedata.name(character) if unicodedata.name(character, '') else '')


def control_character_problems(argument_spec, parameters):
    """['option holds ...'] for every text option given (sub-options and list elements too) that holds a character no Windows
    name can hold; no_log options (passwords, secrets) are left alone: they are never names, and may be anything."""
    problems = []
    for name, spec, value in given_options(argument_spec, parameters):
        if spec.get('no_log') or spec.get('type', 'str') not in ('str', 'path', 'list'):
            continue
        texts = value if isinstance(value, list) else [value]
        for index, text in enumerate(texts):
            found = unnameable_character(text) if isinstance(text, str) else None
            if found:
                where = '%s[%d]' % (name, index) if isinstance(value, list) else name
                problems.append('%s holds the character %s, which no Windows or Hyper-V name or path can hold; accepted: %s'
                                % (where, found, ACCEPTED_TEXT))
    return problems


class AnsibleModule(basic.AnsibleModule):
    """ansible-core's AnsibleModule with the three mends above and the collection's refusal of control characters."""

    def __init__(self, argument_spec, **kwargs):
        try:
            super(AnsibleModule, self).__init__(argument_spec, **kwargs)
        except TypeError:
            wrong = scalars_given_to_dict_options(argument_spec, getattr(self, 'params', None) or {})
            if not wrong or hasattr(self, 'validation_result'):
                raise
            self.fail_json(msg='; '.join('%s must be a dictionary of its sub-options (%s), not a number or a boolean' % (name, ', '.join(options))
                                         for name, options in wrong), invocation=HIDDEN_INVOCATION)
        except OverflowError:
            wrong = infinities_given_to_int_options(argument_spec, getattr(self, 'params', None) or {})
            if not wrong or hasattr(self, 'validation_result'):
                raise
            self.fail_json(msg='; '.join('%s must be a whole number, not an infinity (%r)' % (name, value) for name, value in wrong),
                           invocation=HIDDEN_INVOCATION)

    def _load_params(self):
        """The parameters as given, refused at once when a text option holds a control character: before ansible-core's own
        checks (so the message names the option whatever else is wrong) and before any I/O. The invocation is hidden, as the
        no_log values are not collected yet."""
        super(AnsibleModule, self)._load_params()
        problems = control_character_problems(self.argument_spec, self.params)
        problems += ['%s must be a number, not a boolean (%r)' % (name, value)
                     for name, value in booleans_given_to_number_options(self.argument_spec, self.params)]
        if problems:
            self.fail_json(msg='; '.join(problems), invocation=HIDDEN_INVOCATION)

    def fail_json(self, msg, **kwargs):
        validation = getattr(self, 'validation_result', None)
        if validation is not None and any(isinstance(error, NoLogError) for error in validation.errors):
            kwargs['invocation'] = HIDDEN_INVOCATION
        super(AnsibleModule, self).fail_json(msg=msg, **kwargs)
