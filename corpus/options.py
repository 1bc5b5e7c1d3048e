"""The base of every options model of a corpus run (`corpus.config`): typed, checked when made,
frozen, and no unknown keys; each field's description is its help text (the CLI's and
`termnorm corpus config --template`'s)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


class Options(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, use_attribute_docstrings=True
    )


def _tuple(value: Any) -> Any:
    """A TOML or YAML list as the tuple a frozen option holds (a string stays one: an error)."""
    return tuple(value) if isinstance(value, list) else value


StrTuple = Annotated[tuple[str, ...], BeforeValidator(_tuple)]
