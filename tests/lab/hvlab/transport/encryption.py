"""WinRM message encryption over HTTP ([MS-WSMV] 2.2.9.1.1, multipart/encrypted with HTTP-SPNEGO-session-encrypted).

The framing mirrors pypsrp.encryption.WinRMEncryption and winrm.encryption.Encryption: per part, a header
block naming the protocol and the clear length, then ``<int32 LE signature length><signature><sealed data>``.
"""

import re
import struct
import typing

SPNEGO_PROTOCOL = 'application/HTTP-SPNEGO-session-encrypted'
BOUNDARY = 'Encrypted Boundary'


class EncryptionError(Exception):
    """The encrypted body is malformed or fails to unwrap."""


def is_encrypted(content_type: str) -> bool:
    return content_type.lower().startswith(('multipart/encrypted', 'multipart/x-multi-encrypted'))


def unwrap_body(context: typing.Any, body: bytes, content_type: str) -> bytes:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    boundary = match.group(1) if match else BOUNDARY
    parts = [part for part in re.split(rb'--\s*' + re.escape(boundary.encode()) + rb'(?:--)?\r\n', body) if part]
    message = b''
    for index in range(0, len(parts) - 1, 2):
        header, payload = parts[index], parts[index + 1]
        length_match = re.search(rb'Length=(\d+)', header)
        if not length_match:
            raise EncryptionError('encrypted part without OriginalContent length')
        payload = payload.replace(b'\tContent-Type: application/octet-stream\r\n', b'', 1)
        signature_length = struct.unpack('<i', payload[:4])[0]
        signature = payload[4:4 + signature_length]
        sealed = payload[4 + signature_length:]
        try:
            clear = context.unwrap_winrm(signature, sealed)
        except Exception as error:  # pylint: disable=broad-except  # any failure to unseal is a bad message
            raise EncryptionError('cannot unwrap the message: %s' % error) from error
        if len(clear) != int(length_match.group(1)):
            raise EncryptionError('decrypted length does not match the declared length')
        message += clear
    return message


def wrap_body(context: typing.Any, message: bytes) -> typing.Tuple[str, bytes]:
    """(Content-Type, body) of an encrypted answer."""
    header, sealed, padding = context.wrap_winrm(message)
    payload = (
        ('--%s\r\n\tContent-Type: %s\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n--%s\r\n'
         '\tContent-Type: application/octet-stream\r\n' % (BOUNDARY, SPNEGO_PROTOCOL, len(message) + padding, BOUNDARY)).encode('ascii')
        + struct.pack('<i', len(header)) + header + sealed
        + ('--%s--\r\n' % BOUNDARY).encode('ascii')
    )
    return 'multipart/encrypted;protocol="%s";boundary="%s"' % (SPNEGO_PROTOCOL, BOUNDARY), payload
