"""The lab's network side: WinRM listeners (HTTP/HTTPS, Basic/NTLM, message encryption), WSMan, PSRP, WinRS."""

from hvlab.transport.server import LabServer

__all__ = ['LabServer']
