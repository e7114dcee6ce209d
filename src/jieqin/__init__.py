"""jieqin: run pairing-assistance campaigns (结亲戚, "becoming relatives").

Helpers (council members and agency staff) are paired with rural households lifted
out of poverty; they survey needs, connect households to aid programmes and
agencies, log their contacts and visits, and report the year's work.

The public API is what this module exports; regional plugins import nothing else.
"""

from jieqin import errors
from jieqin.campaign import Campaign, connect
from jieqin.errors import InvalidInput, InvalidValue, JieqinError
from jieqin.model import *  # noqa: F403
from jieqin.model import __all__ as _model_all
from jieqin.plugins.hookspecs import hookimpl
from jieqin.privacy import install_log_masking

__version__ = "0.1.0"

install_log_masking()

__all__ = [
    "Campaign",
    "InvalidInput",
    "InvalidValue",
    "JieqinError",
    "__version__",
    "connect",
    "errors",
    "hookimpl",
    *_model_all,
]
