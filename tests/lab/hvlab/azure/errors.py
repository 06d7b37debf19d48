# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ARM error answers of the fake Azure: ``{"error": {"code", "message"}}`` with an HTTP status."""


class AzureError(Exception):
    """An ARM error answer: HTTP status, error code and message ({"error": {"code", "message"}})."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict:
        return {'error': {'code': self.code, 'message': self.message}}


def not_found(kind: str, name: str) -> AzureError:
    return AzureError(404, 'NotFound', "%s '%s' was not found." % (kind, name))


def bad_request(code: str, message: str) -> AzureError:
    return AzureError(400, code, message)
