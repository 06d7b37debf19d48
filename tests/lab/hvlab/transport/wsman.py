"""WS-Management SOAP envelopes: parsing requests, building responses and faults ([MS-WSMV])."""

import typing
import uuid
import xml.etree.ElementTree as ET

NS = {
    's': 'http://www.w3.org/2003/05/soap-envelope',
    'wsa': 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
    'wsman': 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
    'wsmv': 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd',
    'wst': 'http://schemas.xmlsoap.org/ws/2004/09/transfer',
    'wsmanfault': 'http://schemas.microsoft.com/wbem/wsman/1/wsmanfault',
    'rsp': 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell',
    'cfg': 'http://schemas.microsoft.com/wbem/wsman/1/config',
    'pwsh': 'http://schemas.microsoft.com/powershell',
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

ACTION_CREATE = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Create'
ACTION_DELETE = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete'
ACTION_GET = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get'
ACTION_COMMAND = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command'
ACTION_SEND = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send'
ACTION_RECEIVE = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive'
ACTION_SIGNAL = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal'

RESOURCE_PSRP = 'http://schemas.microsoft.com/powershell/Microsoft.PowerShell'
RESOURCE_CMD = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd'
RESOURCE_SHELL = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell'
RESOURCE_CONFIG = 'http://schemas.microsoft.com/wbem/wsman/1/config'

STATE_DONE = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done'
STATE_RUNNING = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running'
SIGNAL_TERMINATE = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate'

# Windows' default MaxEnvelopeSizekb (winrm get winrm/config).
MAX_ENVELOPE_SIZE_KB = 500


def q(prefix: str, tag: str) -> str:
    """Qualified ElementTree tag name."""
    return '{%s}%s' % (NS[prefix], tag)


class WSManFault(Exception):
    """A WSMan fault to answer with (HTTP 500 + SOAP fault, as WinRM does)."""

    def __init__(self, code: int, reason: str, subcode: str = 'w:InternalError', fault_code: str = 's:Receiver',
                 provider: typing.Optional[typing.Tuple[str, str]] = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.subcode = subcode
        self.fault_code = fault_code
        self.provider = provider          # (provider name, provider path) of a WSManFault's ProviderFault, if any


# The faults Windows answers with for the situations the lab can reach.
def fault_timeout() -> WSManFault:
    return WSManFault(0x80338029, 'The WS-Management service cannot complete the operation within the time specified in OperationTimeout.',
                      subcode='w:TimedOut')


def fault_unknown_shell(shell_id: str) -> WSManFault:
    return WSManFault(0x8033805B, 'The request for the Windows Remote Shell with ShellId %s failed because the shell was not found on the server. '
                      'Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. '
                      'Provide the correct ShellId or create a new shell and retry the operation.' % shell_id,
                      subcode='w:InvalidSelectors', fault_code='s:Sender')


def fault_unsupported(what: str) -> WSManFault:
    return WSManFault(0x80338000 | 0x116, 'The WS-Management service does not support the request: %s' % what,
                      subcode='w:ActionNotSupported', fault_code='s:Sender')


def fault_file_not_found() -> WSManFault:
    """A program WinRS cannot start (WINRS_SKIP_CMD_SHELL), as pypsrp's recording test_winrs_no_cmd_shell shows it."""
    return WSManFault(0x80070002, 'The system cannot find the file specified. ',
                      provider=('Shell cmd plugin', '%systemroot%\\system32\\winrscmd.dll'))


def access_denied(code: int = 5) -> WSManFault:
    """WinRM refusing an authenticated user that may not use the endpoint: code 5 (ERROR_ACCESS_DENIED) or its HRESULT
    0x80070005, subcode w:InternalError - both are seen from Windows hosts (issue 14's audit; no recording in reach)."""
    return WSManFault(code, 'Access is denied. ')


def fault_injected() -> WSManFault:
    # 0x80004005 (E_FAIL): a generic service-side failure, what a flaky host hands back.
    return WSManFault(0x80004005, 'The WS-Management service cannot process the request. The service encountered an internal error (lab fault injection).')


class WSManRequest:
    """The parts of a WSMan request envelope the lab needs."""

    def __init__(self, envelope: ET.Element) -> None:
        header = envelope.find('s:Header', NS)
        body = envelope.find('s:Body', NS)
        if header is None or body is None:
            raise WSManFault(0x80338043, 'The WS-Management service cannot process the request. The SOAP packet does not contain the required header or body.',
                             subcode='w:SchemaValidationError', fault_code='s:Sender')
        self.header = header
        self.body = body
        self.action = self._text('wsa:Action')
        self.message_id = self._text('wsa:MessageID')
        self.resource_uri = self._text('wsman:ResourceURI')
        self.operation_timeout = _parse_seconds(self._text('wsman:OperationTimeout')) or 20.0
        self.selectors = {sel.get('Name', ''): sel.text or '' for sel in header.findall('wsman:SelectorSet/wsman:Selector', NS)}
        self.options = {opt.get('Name', ''): opt.text or '' for opt in header.findall('wsman:OptionSet/wsman:Option', NS)}

    @classmethod
    def parse(cls, data: bytes) -> 'WSManRequest':
        try:
            envelope = ET.fromstring(data)
        except ET.ParseError as error:
            raise WSManFault(0x80338043, 'The WS-Management service cannot process the request because the XML is invalid: %s' % error,
                             subcode='w:SchemaValidationError', fault_code='s:Sender') from None
        return cls(envelope)

    def _text(self, path: str) -> str:
        element = self.header.find(path, NS)
        return (element.text or '').strip() if element is not None else ''

    def body_element(self, prefix: str, tag: str) -> typing.Optional[ET.Element]:
        return self.body.find('%s:%s' % (prefix, tag), NS)


def _parse_seconds(duration: str) -> typing.Optional[float]:
    """Seconds of a simple xs:duration such as PT20S or PT20.000S (all WSMan clients send that form)."""
    if duration.startswith('PT') and duration.endswith('S'):
        try:
            return float(duration[2:-1])
        except ValueError:
            return None
    return None


def envelope(action: str, relates_to: str, body_children: typing.Iterable[ET.Element] = ()) -> bytes:
    """Serialise a response envelope whose RelatesTo echoes the request's MessageID."""
    root = ET.Element(q('s', 'Envelope'))
    header = ET.SubElement(root, q('s', 'Header'))
    ET.SubElement(header, q('wsa', 'To')).text = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous'
    ET.SubElement(header, q('wsa', 'Action')).text = action
    ET.SubElement(header, q('wsa', 'MessageID')).text = 'uuid:%s' % str(uuid.uuid4()).upper()
    ET.SubElement(header, q('wsa', 'RelatesTo')).text = relates_to
    body = ET.SubElement(root, q('s', 'Body'))
    for child in body_children:
        body.append(child)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding='utf-8')


def fault_envelope(fault: WSManFault, relates_to: str, machine: str) -> bytes:
    """The SOAP 1.2 fault with the wsmanfault:WSManFault detail that pypsrp and pywinrm parse."""
    root = ET.Element(q('s', 'Envelope'))
    header = ET.SubElement(root, q('s', 'Header'))
    ET.SubElement(header, q('wsa', 'Action')).text = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault'
    ET.SubElement(header, q('wsa', 'MessageID')).text = 'uuid:%s' % str(uuid.uuid4()).upper()
    if relates_to:
        ET.SubElement(header, q('wsa', 'RelatesTo')).text = relates_to
    body = ET.SubElement(root, q('s', 'Body'))
    fault_el = ET.SubElement(body, q('s', 'Fault'))
    code = ET.SubElement(fault_el, q('s', 'Code'))
    ET.SubElement(code, q('s', 'Value')).text = fault.fault_code
    subcode = ET.SubElement(code, q('s', 'Subcode'))
    ET.SubElement(subcode, q('s', 'Value')).text = fault.subcode
    reason = ET.SubElement(fault_el, q('s', 'Reason'))
    text = ET.SubElement(reason, q('s', 'Text'))
    text.set('{http://www.w3.org/XML/1998/namespace}lang', 'en-US')
    text.text = fault.reason
    detail = ET.SubElement(fault_el, q('s', 'Detail'))
    wsman_fault = ET.SubElement(detail, q('wsmanfault', 'WSManFault'), Code=str(fault.code), Machine=machine)
    message = ET.SubElement(wsman_fault, q('wsmanfault', 'Message'))
    if fault.provider is None:
        message.text = fault.reason
    else:
        ET.SubElement(message, q('wsmanfault', 'ProviderFault'), provider=fault.provider[0], path=fault.provider[1]).text = fault.reason
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding='utf-8')


def config_element() -> ET.Element:
    """The winrm/config document (only the values clients read are meaningful)."""
    config = ET.Element(q('cfg', 'Config'))
    ET.SubElement(config, q('cfg', 'MaxEnvelopeSizekb')).text = str(MAX_ENVELOPE_SIZE_KB)
    ET.SubElement(config, q('cfg', 'MaxTimeoutms')).text = '60000'
    ET.SubElement(config, q('cfg', 'MaxBatchItems')).text = '32000'
    ET.SubElement(config, q('cfg', 'MaxProviderRequests')).text = '4294967295'
    service = ET.SubElement(config, q('cfg', 'Service'))
    ET.SubElement(service, q('cfg', 'AllowUnencrypted')).text = 'false'
    auth = ET.SubElement(service, q('cfg', 'Auth'))
    for name, value in (('Basic', 'true'), ('Kerberos', 'true'), ('Negotiate', 'true'), ('Certificate', 'false'),
                        ('CredSSP', 'false'), ('CbtHardeningLevel', 'Relaxed')):
        ET.SubElement(auth, q('cfg', name)).text = value
    return config
