"""What every portal template may use beyond its page's context: the ``phone`` filter (a
number as people read it, ``06 09 18 22 36``), ``phones`` (the same for every number in a
text), and the ``count`` / ``noun`` globals (a count
in words with the right plural, in the page's language, ``language`` in the context)."""

from __future__ import annotations

import re
from typing import Any

import jinja2

from fleet.core.numbering import E164, shown
from fleet.core.values import Language
from portal import plurals


def install(env: jinja2.Environment, *, region: str) -> None:
    """``region``: the numbering region national numbers typed or recorded without their
    country code are read in (the service's ``numbering_region``)."""

    def phone(value: E164 | str | None) -> str:
        return shown(value, region=region)

    def phones(text: str | None) -> str:
        return _NUMBER_IN_TEXT.sub(lambda m: shown(m.group(0), region=region), text or "")

    env.filters["phone"] = phone
    env.filters["phones"] = phones
    env.globals["count"] = _count
    env.globals["noun"] = _noun


# a number inside free text (an audit entry's JSON, an actor "chef → 0611000001"): E.164 or
# national digits standing alone; shown() leaves those that are no phone number as they are
_NUMBER_IN_TEXT = re.compile(r"(?<![\w.:/-])\+?[0-9]{8,15}(?![\w.:/-])")


def _language(context: Any) -> Language:
    language = context.get("language")
    return language if isinstance(language, Language) else Language.FR


@jinja2.pass_context
def _count(context: Any, n: int, key: str) -> str:
    return plurals.count(_language(context), n, key)


@jinja2.pass_context
def _noun(context: Any, n: int, key: str) -> str:
    return plurals.noun(_language(context), n, key)
